//! Error helpers shared by every layer. The mapping of errors to HTTP answers lives in `http::errors`; `ApiError`
//! is re-exported here for the callers that only build or pass one on.

use std::fmt;

pub use crate::http::errors::ApiError;

/// Displays an error with its whole chain of causes (`outer: cause: root`), for the one log line written where the
/// error is handled. Each error's own message leaves its cause to `source()`, so no cause appears twice. Our own
/// messages never carry personal data.
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'a));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut src = self.0.source();
        while let Some(s) = src {
            write!(f, ": {s}")?;
            src = s.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Chain;
    use crate::ports::StoreError;

    #[test]
    fn a_cause_is_named_once_in_the_chain() {
        let e = StoreError::Unavailable(anyhow::anyhow!("ThrottlingException"));
        assert_eq!(Chain(&e).to_string(), "the table is unavailable: ThrottlingException");
    }
}
