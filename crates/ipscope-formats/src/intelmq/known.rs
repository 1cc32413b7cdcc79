//! One IntelMQ JSON object → the values of its known keys, without building the object.
//!
//! `serde_json::Value` allocated every key and every value of an event — the base64 `raw`
//! report line, `extra.*`, keys no report reads — only for most of them to be dropped: a
//! quarter of the IntelMQ parser thread. This walks the object as serde scans it: a key
//! IntelMQ defines (`fields::intelmq_key`, flat or as the dotted path of nested objects up to
//! [`MAX_KEY_DEPTH`] levels) keeps its value as a `Value`; an object under another key is
//! walked in turn; everything else is skipped unread.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::MAX_KEY_DEPTH;
use super::fields::{Field, intelmq_key};

/// The known keys of one object, in the order met.
pub(crate) fn known(json: &[u8]) -> serde_json::Result<Vec<(Field, Value)>> {
    // A line checked as UTF-8 once, whole, is read without serde_json checking each key and
    // string again one call at a time (7 % of the IntelMQ parser thread, perf); a line that is
    // not UTF-8 is read exactly as before.
    match std::str::from_utf8(json) {
        Ok(text) => walk(serde_json::Deserializer::from_str(text)),
        Err(_) => walk(serde_json::Deserializer::from_slice(json)),
    }
}

fn walk<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
) -> serde_json::Result<Vec<(Field, Value)>> {
    // Room for the keys of a typical event (10–16), so the vector is not grown line after line.
    let mut out = Vec::with_capacity(16);
    let mut path = String::new();
    de::Deserializer::deserialize_map(&mut de, Walk { path: &mut path, depth: 0, out: &mut out })?;
    de.end()?;
    Ok(out)
}

/// The members of the object at `path` (the dotted path so far, empty at the top). As the
/// value of a key IntelMQ does not define it walks an object and skips anything else; at the
/// top, `deserialize_map` lets only an object through.
struct Walk<'p> {
    path: &'p mut String,
    depth: usize,
    out: &'p mut Vec<(Field, Value)>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let top = self.path.len();
        while map.next_key_seed(Key(self.path))?.is_some() {
            if let Some(field) = intelmq_key(self.path) {
                self.out.push((field, map.next_value()?));
            } else if self.depth + 1 < MAX_KEY_DEPTH {
                self.path.push('.');
                map.next_value_seed(Walk { path: &mut *self.path, depth: self.depth + 1, out: &mut *self.out })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
            self.path.truncate(top);
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// A key, appended to the path as it is read (no `String` of its own).
struct Key<'p>(&'p mut String);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<(), E> {
        self.0.push_str(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(json: &str) -> Vec<(Field, Value)> {
        known(json.as_bytes()).unwrap_or_default()
    }

    #[test]
    fn flat_nested_and_unknown_keys() {
        let got = fields(
            r#"{"raw": "aGVsbG8=", "extra": {"a": [1, {"b": 2}], "c": null}, "source.ip": "192.0.2.1",
                "source": {"port": 22, "geolocation": {"cc": "NL", "x": {"y": 1}}, "list": [true]},
                "sour\u0063e.asn": 64496, "feed.name": "F", "time.source": null}"#,
        );
        assert_eq!(
            got,
            vec![
                (Field::SrcIp, json!("192.0.2.1")),
                (Field::SrcPort, json!(22)),
                (Field::Cc, json!("NL")),
                (Field::SrcAsn, json!(64496)),
                (Field::FeedName, json!("F")),
                (Field::TimeSource, Value::Null),
            ]
        );
    }

    #[test]
    fn nesting_is_followed_to_its_depth_only() {
        // `a.b.c.source.ip` is no IntelMQ key anyway; what matters is that deeper objects are
        // skipped, not walked, and the rest of the object still read.
        let deep = r#"{"a": {"b": {"c": {"d": {"e": 1}}}}, "source": {"geolocation": {"city": "X"}}}"#;
        assert_eq!(fields(deep), vec![(Field::City, json!("X"))]);
    }

    #[test]
    fn bad_json_is_an_error_and_a_cut_object_an_eof() {
        assert!(known(br#"{"source.ip": "1.2.3.4",}"#).is_err());
        assert!(known(br#"{"source.ip": "1.2.3.4"} trailing"#).is_err());
        assert!(known(br#"["source.ip"]"#).is_err());
        assert!(known(br#"{"source.ip": "1.2.3.4","#).is_err_and(|e| e.is_eof()));
    }

    #[test]
    fn a_line_that_is_not_utf8_fails() {
        assert!(known(b"{\"source.ip\": \"1.2.3.4\", \"feed.name\": \"F\xff\"}").is_err());
        assert!(known(b"{\"extra.\xc3\": 1, \"source.ip\": \"1.2.3.4\"}").is_err());
    }

    proptest::proptest! {
        /// A line read as text (checked as UTF-8 once) gives what the byte reader, which checks
        /// each string, gives: the same fields, or an error at the same place.
        #[test]
        fn text_and_bytes_read_alike(
            line in r#"\{ ?(("source\.ip"|"feed\.name"|"extra"|"source"|"sou\\u0072ce\.port"|"[a-zé.\\]{0,6}"): ?("[a-zé0-9.\\"]{0,8}"|-?[0-9]{1,3}(\.[0-9])?|\{"(ip|port|x)": ?("1\.2\.3\.4"|7|\[1\])\}|\[1, ?"a"\]|null|true|"\\u00e9\\n")(, ?)?){0,5}\}? ?"#
        ) {
            let text = walk(serde_json::Deserializer::from_str(&line));
            let bytes = walk(serde_json::Deserializer::from_slice(line.as_bytes()));
            proptest::prop_assert_eq!(format!("{text:?}"), format!("{bytes:?}"));
        }
    }
}
