//! The cloudcourt server as a library: the binary's commands, and what integration
//! tests need to start the real server in-process on a random port.

pub mod admin;
pub mod app;
pub mod backup;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod demo;
pub mod http;
pub mod live;
pub mod metrics;
pub mod notices;
pub mod outbox;
pub mod password;
pub mod pdf;
pub mod recording;
pub mod staging;
pub mod throttle;
