//! `choice_enum!`: a closed list of choices with a stable key (forms, files, the database),
//! the words shown to people, and a forgiving parse ("Meeting booked" -> `meeting_booked`).
//! Every such list in the domain is defined with it.
//!
//! The macro also makes each list a TEXT column type for both databases: binding a value
//! writes its key, and reading a column parses it, so a value the list does not know fails
//! the read (the store reports it as corrupt data) instead of turning into a default later.

/// Defines `pub enum $name` with `ALL`, `key()` (also `as_str()`, `Display` and
/// `== "key"`), `label()`, `parse()`, serde as the key, and sqlx `Type`/`Encode`/`Decode` as
/// TEXT.
///
/// Parsing ignores case and surrounding space and reads spaces and dashes as underscores.
/// An optional `unknown(raw) => message;` after the variants words the parse error.
macro_rules! choice_enum {
    (
        $(#[$m:meta])* $name:ident {
            $($(#[$vm:meta])* $variant:ident = $key:literal : $label:literal),+ $(,)?
        }
        $(unknown($raw:ident) => $unknown:expr;)?
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name { $($(#[$vm])* #[serde(rename = $key)] $variant),+ }

        impl $name {
            pub const ALL: [$name; [$(stringify!($variant)),+].len()] = [$($name::$variant),+];

            /// The stable key used in forms, files and the database.
            pub fn key(self) -> &'static str {
                match self { $($name::$variant => $key),+ }
            }

            /// The key, under the name text-like types use.
            pub fn as_str(self) -> &'static str {
                self.key()
            }

            /// The words shown to a person.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn parse(raw: &str) -> Result<$name, String> {
                let k = raw.trim().replace([' ', '-'], "_");
                $name::ALL
                    .into_iter()
                    .find(|v| v.key().eq_ignore_ascii_case(&k))
                    .ok_or_else(|| $name::unknown(raw))
            }

            #[allow(unreachable_code)]
            fn unknown(raw: &str) -> String {
                $(let $raw = raw; return $unknown;)?
                let keys: Vec<&str> = $name::ALL.iter().map(|v| v.key()).collect();
                format!("'{}' is not one of: {}", raw.trim(), keys.join(", "))
            }
        }

        impl $crate::domain::choice::Choice for $name {
            fn key(self) -> &'static str {
                $name::key(self)
            }

            fn label(self) -> &'static str {
                $name::label(self)
            }

            fn parse(raw: &str) -> Result<$name, String> {
                $name::parse(raw)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.key())
            }
        }

        /// A choice equals its key, so a typed value compares with text from a file or page.
        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.key() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.key() == *other
            }
        }

        impl<DB: ::sqlx::Database> ::sqlx::Type<DB> for $name
        where
            str: ::sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as ::sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as ::sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: ::sqlx::Database> ::sqlx::Encode<'q, DB> for $name
        where
            &'static str: ::sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut DB::ArgumentBuffer,
            ) -> Result<::sqlx::encode::IsNull, ::sqlx::error::BoxDynError> {
                <&'static str as ::sqlx::Encode<'q, DB>>::encode_by_ref(&self.key(), buf)
            }
        }

        impl<'r, DB: ::sqlx::Database> ::sqlx::Decode<'r, DB> for $name
        where
            &'r str: ::sqlx::Decode<'r, DB>,
        {
            fn decode(
                value: DB::ValueRef<'r>,
            ) -> Result<$name, ::sqlx::error::BoxDynError> {
                let raw = <&'r str as ::sqlx::Decode<'r, DB>>::decode(value)?;
                Ok($name::parse(raw)?)
            }
        }
    };
}

pub(crate) use choice_enum;

/// What every `choice_enum!` list offers, for code that works on any of them.
pub trait Choice: Copy + 'static {
    /// The stable key used in forms, files and the database.
    fn key(self) -> &'static str;
    /// The words shown to a person.
    fn label(self) -> &'static str;
    /// The forgiving parse of a key.
    fn parse(raw: &str) -> Result<Self, String>;
}

/// A choice that may not be given: its key, or an empty text for none. The store writes
/// an erased attendee's answers this way, and the lead package's JSON keeps `""` for none.
pub mod or_blank {
    use super::Choice;

    /// The key, or `""` for none.
    pub fn key<T: Choice>(value: Option<T>) -> &'static str {
        value.map_or("", T::key)
    }

    /// `""` (or only spaces) is none; anything else must be one of the list's keys.
    pub fn parse<T: Choice>(raw: &str) -> Result<Option<T>, String> {
        if raw.trim().is_empty() {
            Ok(None)
        } else {
            T::parse(raw).map(Some)
        }
    }

    pub fn serialize<T: Choice, S: serde::Serializer>(
        value: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(key(*value))
    }

    pub fn deserialize<'de, T: Choice, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        let raw = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// A choice column read from the store where `''` means none (an erased attendee's
/// answers): `#[sqlx(try_from = "OrBlank<DecisionRole>")]` on an `Option<DecisionRole>`.
/// Any other text the list does not know fails the read, as for a plain choice column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrBlank<T>(pub Option<T>);

impl<T> From<OrBlank<T>> for Option<T> {
    fn from(v: OrBlank<T>) -> Option<T> {
        v.0
    }
}

impl<DB: sqlx::Database, T> sqlx::Type<DB> for OrBlank<T>
where
    str: sqlx::Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <str as sqlx::Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <str as sqlx::Type<DB>>::compatible(ty)
    }
}

impl<'r, DB: sqlx::Database, T: Choice> sqlx::Decode<'r, DB> for OrBlank<T>
where
    &'r str: sqlx::Decode<'r, DB>,
{
    fn decode(value: DB::ValueRef<'r>) -> Result<OrBlank<T>, sqlx::error::BoxDynError> {
        let raw = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
        Ok(OrBlank(or_blank::parse(raw)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::attendee::DecisionRole;

    #[test]
    fn a_blank_choice_is_none_and_reads_back_as_blank() {
        assert_eq!(or_blank::parse::<DecisionRole>(""), Ok(None));
        assert_eq!(or_blank::parse::<DecisionRole>("  "), Ok(None));
        assert_eq!(
            or_blank::parse::<DecisionRole>("buyer"),
            Ok(Some(DecisionRole::Buyer))
        );
        assert!(or_blank::parse::<DecisionRole>("ceo").is_err());
        assert_eq!(or_blank::key::<DecisionRole>(None), "");
        assert_eq!(
            or_blank::key(Some(DecisionRole::DecisionMaker)),
            "decision_maker"
        );
    }
}
