//! The terminal helpers every front end uses: whether to colour, the one hidden prompt, and the
//! yes/no question of the scriptable commands.

use std::io::{BufRead, IsTerminal, Write};

/// Whether stdout gets ANSI colours: a terminal, and [`colors_allowed`].
pub fn color_stdout() -> bool {
    std::io::stdout().is_terminal() && colors_allowed()
}

/// Whether the environment allows colours: NO_COLOR unset (or empty) and TERM not `dumb`.
pub fn colors_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && !dumb()
}

/// TERM=dumb: no colours, and the wizard asks one question at a time.
pub fn dumb() -> bool {
    std::env::var("TERM").is_ok_and(|t| t == "dumb")
}

/// Reads one line from the terminal without echo. Echo goes off BEFORE the prompt is printed,
/// so keys typed or pasted ahead of the prompt are not shown either; it is restored after the
/// line, on an error, and (through a guard) on a panic.
///
/// Ctrl-C (SIGINT) or SIGTERM while it waits: the terminal settings are restored and the error
/// is [`std::io::ErrorKind::Interrupted`] (nothing typed is kept). While the prompt waits, the
/// signals only set a flag (a [`crate::fioctl::SignalGuard`]) that the read loop polls.
pub fn prompt_hidden(prompt: &str) -> std::io::Result<String> {
    use std::io::Read;
    use std::os::fd::AsRawFd;
    // Before echo goes off, so that no signal can end the process with echo off.
    let signals = crate::fioctl::SignalGuard::install()?;
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")?;
    let fd = tty.as_raw_fd();
    // SAFETY: termios calls on a file descriptor we own; the struct is plain data.
    let mut term: libc::termios = unsafe { std::mem::zeroed() };
    if unsafe { libc::tcgetattr(fd, &mut term) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    struct Restore(i32, libc::termios);
    impl Drop for Restore {
        fn drop(&mut self) {
            // SAFETY: as above; restores the settings read before.
            unsafe { libc::tcsetattr(self.0, libc::TCSANOW, &self.1) };
        }
    }
    let restore = Restore(fd, term);
    let mut hidden = term;
    hidden.c_lflag &= !(libc::ECHO | libc::ECHONL);
    hidden.c_lflag |= libc::ICANON;
    // SAFETY: as above.
    if unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &hidden) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    tty.write_all(prompt.as_bytes())?;
    tty.flush()?;
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if signals.fired() {
            drop(restore);
            zeroize::Zeroize::zeroize(&mut line);
            let _ = tty.write_all(b"\n");
            return Err(std::io::Error::new(
                std::io::ErrorKind::Interrupted,
                "interrupted at the password prompt",
            ));
        }
        // Wait for input in short slices, so a signal is seen even though reads restart.
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll on one pollfd that lives on the stack for the call.
        let ready = unsafe { libc::poll(&mut pfd, 1, 50) };
        if ready < 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            zeroize::Zeroize::zeroize(&mut line);
            return Err(err);
        }
        if ready == 0 {
            continue;
        }
        match tty.read(&mut byte) {
            Ok(0) => break,
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) => line.push(byte[0]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                zeroize::Zeroize::zeroize(&mut line);
                return Err(e);
            }
        }
    }
    drop(restore);
    drop(signals);
    tty.write_all(b"\n")?;
    let text = String::from_utf8(line).map_err(|e| {
        let mut bytes = e.into_bytes();
        zeroize::Zeroize::zeroize(&mut bytes);
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "what was typed is not UTF-8 text: {}; nothing was stored",
                crate::secret::NOT_UTF8_WHY
            ),
        )
    })?;
    Ok(text.trim_end_matches('\r').to_string())
}

/// Asks on the terminal; only `y`/`yes` applies.
pub fn confirm(question: &str) -> std::io::Result<bool> {
    print!("{question} [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
