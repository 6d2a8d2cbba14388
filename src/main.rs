pub mod factory_config;
pub mod provider;
pub mod secret;
fn main() {}
