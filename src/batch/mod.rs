//! `batch run`'s pure half: input lines read into records, the adaptive concurrency
//! and quota limiter, and the output file's ledger that makes a run resumable. No
//! AWS here: `bedrock::record` sends one record, `cli::batch_run` runs the whole file.

pub mod input;
pub mod ledger;
pub mod limiter;

pub use input::{Body, Input, LineError, Problem, Prompting, Record, Template, parse, read};
pub use ledger::{Identity, Ledger, LedgerError, Outcome};
pub use limiter::{Limiter, Limits};
