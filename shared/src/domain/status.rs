//! Closed sets of values that records store as strings: statuses, channels, failure kinds. Each variant names its
//! stored value once, here; use cases compare and write the variants, never the strings.

use serde::{Deserialize, Serialize};

/// A closed set of values stored as strings (a status, a channel): each variant names its stored value once, and the
/// type gives it as `&str` (`as_str`), as an attribute (`as_attr`, or `.into()` for an `Update`), and reads it back
/// (`parse`, `of`). Serde uses the same names.
macro_rules! stored_enum {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $variant:ident => $value:literal),+ $(,)? }) => {
        $(#[$m])*
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $value)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $value),+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($value => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The stored value as an attribute, for updates and conditions.
            pub fn as_attr(self) -> $crate::ports::tables::AttributeValue {
                $crate::ports::tables::AttributeValue::S(self.as_str().to_owned())
            }

            /// The value of `attr` in `item`, when it is one of these.
            pub fn of(item: &$crate::ports::tables::Item, attr: &str) -> Option<Self> {
                $crate::ports::tables::attr_str(item, attr).and_then(Self::parse)
            }

            /// Every stored value, for an error message that says which are taken.
            pub fn listed() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl From<$name> for $crate::ports::tables::AttributeValue {
            fn from(v: $name) -> Self {
                v.as_attr()
            }
        }
    };
}
pub(crate) use stored_enum;

stored_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub enum AlertStatus {
        Draft => "draft",
        Published => "published",
        Rejected => "rejected",
        /// Taken back after publication: its page says so, and shows nothing of what it said.
        Withdrawn => "withdrawn",
    }
}

stored_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    pub enum Channel {
        Email => "email",
        Sms => "sms",
    }
}

stored_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub enum SubscriptionStatus {
        Pending => "pending",
        /// Every contact asked for is verified (or one is, and the rest wait) but staff have not yet approved the
        /// request: in no region's list, so no alert reaches it.
        PendingApproval => "pending_approval",
        Active => "active",
        /// Staff declined the request: in no list; its contacts are gone as an ended subscription's are.
        Declined => "declined",
        Unsubscribed => "unsubscribed",
    }
}

stored_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub enum ReportStatus {
        Received => "received",
    }
}

stored_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub enum DeliveryStatus {
        Pending => "pending",
        /// Claimed by a sender: the message may be on its way.
        Sending => "sending",
        Sent => "sent",
        Failed => "failed",
        /// A send was interrupted after the message may have gone: never repeated, not known to have arrived.
        Unconfirmed => "unconfirmed",
    }
}

stored_enum! {
    /// Why a delivery was put back or ended, as staff see it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub enum SendFailure {
        Transient => "transient",
        GaveUp => "gave_up",
        Permanent => "permanent",
        /// The provider gave no clear answer; the message may have gone, so it is not sent again.
        NoAnswer => "no_answer",
        /// The number is on the SMS provider's opt-out list: the text was not sent.
        OptedOut => "opted_out",
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use crate::ports::tables::{AttributeValue, Item};

    stored_enum! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum Colour { Red => "red", DarkBlue => "dark_blue" }
    }

    #[test]
    fn a_stored_value_is_named_once_and_reads_back() {
        for c in Colour::ALL {
            assert_eq!(Colour::parse(c.as_str()), Some(*c));
            assert_eq!(serde_json::to_value(c).unwrap(), serde_json::json!(c.as_str()));
            let mut item = Item::default();
            item.insert("colour".into(), (*c).into());
            assert_eq!(Colour::of(&item, "colour"), Some(*c));
        }
        assert_eq!(Colour::DarkBlue.as_attr(), AttributeValue::S("dark_blue".into()));
        assert_eq!(Colour::parse("green"), None);
    }
}
