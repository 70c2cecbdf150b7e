//! Ports: the small traits the use cases ask for. Each has an embedded adapter (one machine, `num serve`, tests) and
//! a cloud adapter, held to the same contract tests.

pub mod clock;
pub mod keys;
pub mod messaging;
pub mod stream;
pub mod tables;

pub use clock::{Clock, FixedClock, SystemClock};
pub use keys::{DataKey, EncryptionContext, KeyError, KeyService, MacPurpose};
pub use tables::{Condition, Cursor, Index, Item, Key, Page, Query, SortCondition, StoreError, Table, Tables, Update};
