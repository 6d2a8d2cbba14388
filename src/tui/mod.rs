//! The full-screen wizard (being built).

use crate::session::Session;

pub fn run(_session: &Session) -> anyhow::Result<()> {
    anyhow::bail!("the full-screen wizard is not built yet: use `fioreg add` or `fioreg --plain`")
}
