//! Sending the audit streams' events: one task per stream reads its outbox in order and
//! sends batches to its sink (`worker`), and the sinks themselves (`sinks`). Above
//! `state` (it reads the database and records audit events of its own), which is why it
//! is not part of `streams`, which `state` and `db` use.

pub mod sinks;
pub mod worker;
