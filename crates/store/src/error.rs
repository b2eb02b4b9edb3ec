//! Store errors: not found, conflicts with what is already stored, and database faults.

/// A write that clashes with what is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    CourtNameTaken,
    UsernameTaken,
    CaseNumberTaken,
    MeetingNumberTaken,
    PhoneTaken,
    /// The row changed between reading and writing it.
    StateChanged,
    /// A newer transcript version was saved first.
    TranscriptChanged,
    /// The transcript is not open for confirmation (signatures, corrections).
    ConfirmationClosed,
    /// Other records refer to the row (a participant who signed the transcript).
    Referenced,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    #[error("stored {what} is not valid: {detail}")]
    Corrupt { what: &'static str, detail: String },
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match unique_violation(&err) {
            Some(conflict) => StoreError::Conflict(conflict),
            None => StoreError::Database(err),
        }
    }
}

/// Names the conflict behind a unique-constraint violation. SQLite reports the columns
/// (`UNIQUE constraint failed: hearings.meeting_number`), PostgreSQL the constraint
/// (`hearings_meeting_number_live`); both name the column we look for.
fn unique_violation(err: &sqlx::Error) -> Option<Conflict> {
    let sqlx::Error::Database(db) = err else {
        return None;
    };
    if db.is_foreign_key_violation() {
        return Some(Conflict::Referenced);
    }
    if !db.is_unique_violation() {
        return None;
    }
    let text = format!("{} {}", db.message(), db.constraint().unwrap_or_default());
    let conflict = if text.contains("transcript_versions") {
        // The same version number or save id, kept by a racing save.
        Conflict::TranscriptChanged
    } else if text.contains("evidence") {
        // Two items finished at once took the same number: the loser tries again.
        Conflict::StateChanged
    } else if text.contains("meeting_number") {
        Conflict::MeetingNumberTaken
    } else if text.contains("phone") {
        Conflict::PhoneTaken
    } else if text.contains("case_number") {
        Conflict::CaseNumberTaken
    } else if text.contains("username") {
        Conflict::UsernameTaken
    } else if text.contains("courts") {
        Conflict::CourtNameTaken
    } else {
        return None;
    };
    Some(conflict)
}
