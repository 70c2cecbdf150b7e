//! The closed word lists of the report schema.

macro_rules! word_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $word)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($word => Some($name::$variant),)+ _ => None }
            }
        }

        impl $crate::domain::report::AllowedValues for $name {
            const ALLOWED: &'static [&'static str] = &[$($word),+];
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

word_enum!(
    /// What happened, as the reporter classes it.
    Category {
        PhysicalAssault = "physical_assault",
        SexualAssault = "sexual_assault",
        Rape = "rape",
        Robbery = "robbery",
        Theft = "theft",
        Threats = "threats",
        Harassment = "harassment",
        Stalking = "stalking",
        NonPayment = "non_payment",
        Fraud = "fraud",
        Stealthing = "stealthing",
        Drugging = "drugging",
        Kidnapping = "kidnapping",
        HateIncident = "hate_incident",
        OnlineAbuse = "online_abuse",
        Other = "other",
    }
);

word_enum!(
    TimeOfDay {
        Morning = "morning",
        Afternoon = "afternoon",
        Evening = "evening",
        Night = "night",
        Unknown = "unknown",
    }
);

word_enum!(
    /// How the offender first made contact.
    FirstContact {
        Phone = "phone",
        Text = "text",
        Website = "website",
        App = "app",
        SocialMedia = "social_media",
        Street = "street",
        InPerson = "in_person",
        Other = "other",
    }
);

pub(crate) use word_enum;
