//! `choice_enum!`: a closed list of choices with a stable key (forms, files, the database),
//! the words shown to people, and a forgiving parse ("Meeting booked" -> `meeting_booked`).
//! Every such list in the domain is defined with it.

/// Defines `pub enum $name` with `ALL`, `key()`, `label()` and `parse()`; the caller's
/// module must have serde's `Serialize` and `Deserialize` in scope.
macro_rules! choice_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $key:literal : $label:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $key)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable key used in forms, files and the database.
            pub fn key(self) -> &'static str {
                match self { $($name::$variant => $key),+ }
            }

            /// The words shown to a person.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn parse(raw: &str) -> Result<$name, String> {
                let k = raw.trim().to_ascii_lowercase().replace([' ', '-'], "_");
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.key() == k)
                    .ok_or_else(|| {
                        let keys: Vec<&str> = $name::ALL.iter().map(|v| v.key()).collect();
                        format!("'{}' is not one of: {}", raw.trim(), keys.join(", "))
                    })
            }
        }
    };
}

pub(crate) use choice_enum;
