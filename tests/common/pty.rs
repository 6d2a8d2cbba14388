//! A process in a pseudo-terminal (expectrl), its output fed to a terminal emulator (vt100) so
//! tests read the screen as a person sees it; the keys they send; and what the terminal was left
//! in. Used by the wizard tests (full-screen and line prompts) and the cross-front-end test.

use expectrl::Session;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::time::{Duration, Instant};

/// How long any one screen may take to appear (a loaded CI machine is slow, never this slow).
pub const DEADLINE: Duration = Duration::from_secs(30);
pub const COLS: u16 = 100;
pub const ROWS: u16 = 30;

pub const ENTER: &str = "\r";
pub const TAB: &str = "\t";
pub const ESC: &str = "\x1b";
pub const DOWN: &str = "\x1b[B";
pub const CTRL_C: &str = "\x03";

/// A process in a pseudo-terminal, and what its terminal shows.
pub struct Pty {
    session: expectrl::session::OsSession,
    screen: vt100::Parser,
    raw: Vec<u8>,
    eof: bool,
    /// Where [`Pty::expect`] goes on from, in [`Pty::text`].
    cursor: usize,
}

impl Pty {
    pub fn spawn(cmd: Command) -> Pty {
        let mut session = Session::spawn(cmd).expect("spawn in a pty");
        session
            .get_process_mut()
            .set_window_size(COLS, ROWS)
            .expect("window size");
        Pty {
            session,
            screen: vt100::Parser::new(
                std::num::NonZeroU16::new(ROWS).expect("rows"),
                std::num::NonZeroU16::new(COLS).expect("cols"),
                0,
            ),
            raw: Vec::new(),
            eof: false,
            cursor: 0,
        }
    }

    /// Reads what is there; returns whether anything came.
    pub fn pump(&mut self) -> bool {
        let mut buf = [0u8; 8192];
        match self.session.try_read(&mut buf) {
            Ok(0) => {
                self.eof = true;
                false
            }
            Ok(n) => {
                self.screen.process(&buf[..n]);
                self.raw.extend_from_slice(&buf[..n]);
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
            // EIO: the other side is closed (the shell exited).
            Err(_) => {
                self.eof = true;
                false
            }
        }
    }

    pub fn contents(&self) -> String {
        self.screen.screen().contents()
    }

    /// The main panel's text (right of the step list) as one line, so that text the wizard
    /// wrapped reads as written.
    pub fn panel(&self) -> String {
        let start = 19; // the step list (17) and the panel's border and padding
        let rows: Vec<String> = self
            .screen
            .screen()
            .rows(start, COLS - start - 2)
            .map(|r| r.trim().to_string())
            .collect();
        rows.join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Waits until `cond` holds, reading output meanwhile; panics with the screen on timeout.
    pub fn wait_until(&mut self, what: &str, cond: impl Fn(&Pty) -> bool) {
        let start = Instant::now();
        while !cond(self) {
            if start.elapsed() > DEADLINE || (self.eof && !cond(self)) {
                panic!(
                    "waited for {what:?}{}; the screen shows:\n{}",
                    if self.eof { " (the program ended)" } else { "" },
                    self.contents()
                );
            }
            if !self.pump() {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }

    /// Waits until the screen shows `text` (on one row, or across the panel's wrapped rows).
    pub fn wait_for(&mut self, text: &str) {
        self.wait_until(text, |p| {
            p.contents().contains(text) || p.panel().contains(text)
        });
    }

    /// Everything the program wrote so far, escape sequences removed, `\r\n` as `\n`.
    pub fn text(&self) -> String {
        plain_text(&String::from_utf8_lossy(&self.raw))
    }

    /// Waits until the output (not only the screen) holds `text`: for line-based output that
    /// may scroll past the screen between two looks.
    pub fn wait_for_output(&mut self, text: &str) {
        self.wait_until(text, |p| p.text().contains(text));
    }

    /// Sends `keys`, then waits until the output holds `text` after what was there before.
    pub fn answer(&mut self, keys: &str, text: &str) {
        let before = self.text().len();
        self.send(keys);
        self.wait_until(text, |p| {
            p.text().get(before..).is_some_and(|t| t.contains(text))
        });
    }

    /// Waits for `needle` in the output after the last one expected, as expect(1) does, and
    /// goes on from its end.
    pub fn expect(&mut self, needle: &str) {
        let from = self.cursor;
        self.wait_until(needle, |p| {
            p.text().get(from..).is_some_and(|t| t.contains(needle))
        });
        let text = self.text();
        if let Some(at) = text.get(from..).and_then(|t| t.find(needle)) {
            self.cursor = from + at + needle.len();
        }
    }

    pub fn send(&mut self, keys: &str) {
        self.session
            .write_all(keys.as_bytes())
            .expect("write to pty");
        self.session.flush().expect("flush pty");
    }

    /// Sends `keys`, then waits for `text`.
    pub fn press(&mut self, keys: &str, text: &str) {
        self.send(keys);
        self.wait_for(text);
    }

    /// Waits for the wrapper's end; returns fioreg's exit status and what the shell printed
    /// after fioreg left (the raw bytes after the last leave-alternate-screen).
    pub fn finish(&mut self) -> (i32, String) {
        self.wait_until("END-OF-RUN", |p| {
            String::from_utf8_lossy(&p.raw).contains("END-OF-RUN")
        });
        let text = String::from_utf8_lossy(&self.raw).into_owned();
        let code = text
            .split("EXIT=")
            .nth(1)
            .and_then(|r| r.lines().next())
            .and_then(|c| c.trim().parse().ok())
            .expect("exit status");
        (code, text)
    }

    /// The terminal's local modes as fioreg set them (read on the pty's master side).
    pub fn lflags(&self) -> libc::tcflag_t {
        let file = self
            .session
            .get_process()
            .get_raw_handle()
            .expect("pty handle");
        // SAFETY: tcgetattr only fills the struct; the fd is open for the call's duration.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            assert_eq!(libc::tcgetattr(file.as_raw_fd(), &mut t), 0, "tcgetattr");
            t.c_lflag
        }
    }
}

/// The modes `stty -a` printed after fioreg ended.
pub fn stty_modes(after: &str) -> Vec<String> {
    let tail = after.rsplit("EXIT=").next().unwrap_or_default();
    tail.split_whitespace().map(str::to_string).collect()
}

pub fn assert_terminal_restored(output: &str) {
    let enter = output
        .find("\x1b[?1049h")
        .expect("entered the alternate screen");
    let leave = output
        .rfind("\x1b[?1049l")
        .expect("left the alternate screen");
    assert!(leave > enter);
    assert!(
        output[leave..].contains("\x1b[?25h"),
        "the cursor is shown again"
    );
    let modes = stty_modes(output);
    for mode in ["icanon", "echo", "isig"] {
        assert!(
            modes.iter().any(|m| m == mode),
            "{mode} is not back on: {modes:?}"
        );
    }
}

/// Terminal output as text: CSI and OSC escape sequences and other control characters removed
/// (but newlines), `\r\n` read as `\n`.
pub fn plain_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.next() {
                Some('[') => {
                    // CSI: parameters, then one final byte in @..~.
                    for d in chars.by_ref() {
                        if ('@'..='~').contains(&d) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    // OSC: up to BEL or ESC \.
                    while let Some(d) = chars.next() {
                        if d == '\x07' || (d == '\x1b' && chars.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\n' => out.push('\n'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}
