//! Domain values that parse rather than validate: a value that exists is valid.

pub mod alert;
pub mod category;
pub mod email;
pub mod gazetteer;
pub mod ids;
pub mod passphrase;
pub mod phone;
pub mod region;
pub mod report;
pub mod status;
pub mod town;

pub use alert::Alert;
pub use category::{Category, FirstContact, TimeOfDay};
pub use email::Email;
pub use ids::{AlertId, ReportId, SubscriptionId};
pub use passphrase::Passphrase;
pub use phone::PhoneNumber;
pub use region::Region;
pub use report::{Report, ReportError};
pub use town::Town;
