//! `Loose`: a parsed TOML or YAML document before it is given meaning, so that every
//! missing key and wrong type can be reported at once instead of stopping at the first.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// The key under which the toml crate hands over its native date-time values.
const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Loose {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// A native TOML date or date-time, as written.
    DateTime(String),
    List(Vec<Loose>),
    /// Keys in document order (TOML gives them sorted).
    Map(Vec<(String, Loose)>),
}

impl Loose {
    /// What the value is, for messages such as "expected text, found a list".
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Loose::Null => "nothing",
            Loose::Bool(_) => "true/false",
            Loose::Int(_) | Loose::Float(_) => "a number",
            Loose::Str(_) => "text",
            Loose::DateTime(_) => "a date",
            Loose::List(_) => "a list",
            Loose::Map(_) => "a table",
        }
    }

    /// The value as text when it is a single value; YAML reads `title: 2026` as a number,
    /// which is still meant as text.
    pub(crate) fn as_text(&self) -> Option<String> {
        match self {
            Loose::Str(s) | Loose::DateTime(s) => Some(s.clone()),
            Loose::Int(i) => Some(i.to_string()),
            Loose::Float(f) => Some(f.to_string()),
            Loose::Bool(b) => Some(b.to_string()),
            Loose::Null | Loose::List(_) | Loose::Map(_) => None,
        }
    }
}

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a TOML or YAML value")
    }

    fn visit_unit<E>(self) -> Result<Loose, E> {
        Ok(Loose::Null)
    }

    fn visit_none<E>(self) -> Result<Loose, E> {
        Ok(Loose::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Loose, D::Error> {
        Loose::deserialize(d)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Loose, E> {
        Ok(Loose::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Loose, E> {
        Ok(Loose::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Loose, E> {
        Ok(i64::try_from(v).map_or(Loose::Float(v as f64), Loose::Int))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Loose, E> {
        Ok(Loose::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Loose, E> {
        Ok(Loose::Str(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Loose, E> {
        Ok(Loose::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Loose::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose, A::Error> {
        let mut entries: Vec<(String, Loose)> = Vec::new();
        while let Some(key) = map.next_key::<Loose>()? {
            let Some(key) = key.as_text() else {
                return Err(de::Error::custom(format!(
                    "a key must be text, found {}",
                    key.kind()
                )));
            };
            if key == TOML_DATETIME_KEY && entries.is_empty() {
                let raw: String = map.next_value()?;
                return Ok(Loose::DateTime(raw));
            }
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(de::Error::custom(format!("key '{key}' is given twice")));
            }
            let value = map.next_value()?;
            entries.push((key, value));
        }
        Ok(Loose::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_native_dates_arrive_as_written() {
        let v: Loose = toml::from_str("a = 2026-05-12\nb = 2026-05-12T09:00:00\n").unwrap();
        assert_eq!(
            v,
            Loose::Map(vec![
                ("a".into(), Loose::DateTime("2026-05-12".into())),
                ("b".into(), Loose::DateTime("2026-05-12T09:00:00".into())),
            ])
        );
    }

    #[test]
    fn yaml_keeps_key_order_and_scalars() {
        let v: Loose = serde_norway::from_str("z: 1\na: [x, 2.5, true, ~]\n").unwrap();
        assert_eq!(
            v,
            Loose::Map(vec![
                ("z".into(), Loose::Int(1)),
                (
                    "a".into(),
                    Loose::List(vec![
                        Loose::Str("x".into()),
                        Loose::Float(2.5),
                        Loose::Bool(true),
                        Loose::Null
                    ])
                ),
            ])
        );
    }

    #[test]
    fn yaml_duplicate_keys_are_an_error_at_the_start_of_their_table() {
        let text = "sessions:\n  - id: S1\n    title: A\n    title: B\n";
        let e = serde_norway::from_str::<Loose>(text).unwrap_err();
        assert!(e.to_string().contains("key 'title' is given twice"), "{e}");
        assert_eq!(e.location().map(|l| l.line()), Some(2));
    }

    #[test]
    fn scalars_read_as_text() {
        assert_eq!(Loose::Int(2026).as_text().as_deref(), Some("2026"));
        assert_eq!(Loose::List(vec![]).as_text(), None);
        assert_eq!(Loose::Map(vec![]).kind(), "a table");
    }
}
