//! fioreg: give a FoundriesFactory's CI access to a private container registry.
//!
//! One pure core ([`plan`], [`factory_config`], [`provider`], [`credentials`]) and the front ends
//! that drive it. Every front end turns answers into the same [`plan::Plan`], shows it, and
//! applies it through the same code.

pub mod cli;
pub mod cloud;
pub mod commands;
pub mod credentials;
pub mod device_wrap;
pub mod escape;
pub mod factory_config;
pub mod fioctl;
pub mod fleet;
pub mod git;
pub mod keystore;
pub mod plain;
pub mod plan;
pub mod policy;
pub mod provider;
pub mod scan;
pub mod secret;
pub mod session;
pub mod settings;
pub mod term;
pub mod tui;
pub mod verify;
pub mod wizard;
