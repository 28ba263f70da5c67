//! The durable CE journal (SPEC §4, last bullet; §9 `journal.jsonl`).
//!
//! Each CE folder `<storage>/events/<folder>/` holds `journal.jsonl`: one JSON
//! object per line, `{"ts": <epoch seconds>, "step": "<name>", ...fields}`,
//! one line per completed state transition. A line is on disk (fsynced) before
//! [`append`] returns, so a caller acts on a step only once it is durable.
//! After a crash or restart, [`replay()`] folds every unfinished CE's journal
//! into a [`CeRecord`] whose [`CeRecord::next_step`] says where to resume, and
//! lists the journals it cannot use so the service can set those CEs aside.
//!
//! This module owns the journal file only: it never creates or removes CE
//! folders, clips or outputs, and it decides no policy beyond "what is done".
//!
//! - [`entry`]: the line format, [`JournalStep`].
//! - [`facts`]: where a CE stands, for display ([`read_facts`]).
//! - [`lifecycle_step`]: the line each lifecycle transition is journaled as.
//! - [`writer`]: durable appends.
//! - [`ce_record`]: the pure fold of a CE's lines into its state and next step.
//! - [`mod@replay`]: scanning `events/*/journal.jsonl` at start-up.
//! - [`history`]: every CE's opening and conclusion, finished ones included, for looking back.
//! - [`unsent`]: notifications journaled as due and never as sent, finished CEs included.

pub mod ce_record;
pub mod entry;
pub mod facts;
pub mod history;
pub mod lifecycle_step;
pub mod replay;
pub mod unsent;
pub mod writer;

pub use ce_record::{CeRecord, CloseWindow, JobDispatch, JournalEvent, NextStep, SummaryOutcome};
pub use entry::JournalStep;
pub use facts::{read_facts, CeStatus, JournalFacts};
pub use history::{histories, read_history, CeHistory, Conclusion, Histories};
pub use replay::{replay, Replay, UnusableJournal};
pub use unsent::{unsent_notifications, UnsentNotification};
pub use writer::append;

use std::path::PathBuf;

/// Name of the journal file inside a CE folder.
pub const JOURNAL_FILE_NAME: &str = "journal.jsonl";

/// Why the journal could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// Appending a line (open, write, fsync) failed.
    #[error("{}: cannot append to the CE journal: {source}", path.display())]
    Append {
        /// The journal file (or, for the directory fsync, its folder).
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The step could not be encoded as JSON (a path that is not UTF-8).
    #[error("{}: cannot encode the journal line: {source}", path.display())]
    Encode {
        /// The journal file the line was meant for.
        path: PathBuf,
        /// The encoding failure.
        source: serde_json::Error,
    },
    /// A journal line is neither a step nor a line torn by a crash.
    #[error("{}: line {line} is not a journal line", path.display())]
    Corrupt {
        /// The journal file.
        path: PathBuf,
        /// The line's number, from 1.
        line: usize,
    },
    /// The journal records steps but not the CE's opening.
    #[error("{}: steps without an `opened` line", path.display())]
    NotOpened {
        /// The journal file.
        path: PathBuf,
    },
    /// Listing the events folder or reading a journal failed.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The folder or journal file.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
}
