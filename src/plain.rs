//! Line prompts (being built).

use crate::session::Session;

pub struct InquirePrompter;

pub fn run(_session: &Session, _p: &mut InquirePrompter) -> anyhow::Result<()> {
    anyhow::bail!("the line-prompt wizard is not built yet: use `fioreg add`")
}
