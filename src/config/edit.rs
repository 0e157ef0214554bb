//! Edits of the config file's text, for the API and the dashboard: a check added,
//! replaced or removed, every byte outside that check's table kept as the user wrote
//! it (comments, order, spacing). A check comes as its TOML keys in JSON, as the
//! dashboard's forms send it.
//!
//! An added check is appended to the file as a `[[check]]` table of its own; a replaced
//! one keeps its place, its comments and the keys it keeps (a key's value is replaced,
//! a key no longer given is removed, a new one is added at the end of the table); a
//! removed one goes with the comments above it. The result is only text: the caller
//! compiles it whole before it is written (`engine::reload`).

use serde_json::{Map, Value};
use toml_edit::{DocumentMut, Item, Table};

/// Why an edit could not be made to the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditError {
    /// No `[[check]]` table of the file has this id.
    UnknownCheck(String),
    /// The file does not parse as TOML: it is said by the compiler, with its place.
    Unparsable(String),
    /// A key's value cannot be written in TOML (a `null`), or the body is not a check.
    BadValue { key: String, message: String },
}

impl std::fmt::Display for EditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EditError::UnknownCheck(id) => write!(f, "no [[check]] table of the file has the id `{id}`"),
            EditError::Unparsable(why) => write!(f, "the config file is not valid TOML: {why}"),
            EditError::BadValue { key, message } => write!(f, "{key}: {message}"),
        }
    }
}

impl std::error::Error for EditError {}

/// `text` with `check` appended as a `[[check]]` table. Its `id`, `name` and `kind`
/// come first, the other keys after them in the order given.
pub fn add_check(text: &str, check: &Map<String, Value>) -> Result<String, EditError> {
    let table = table_of(check)?;
    let mut document = DocumentMut::new();
    let mut tables = toml_edit::ArrayOfTables::new();
    tables.push(table);
    document.insert("check", Item::ArrayOfTables(tables));
    let mut out = text.to_owned();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push('\n');
    }
    out.push_str(&document.to_string());
    Ok(out)
}

/// `text` with the check `id` given `check`'s keys (its id stays), in its place.
pub fn replace_check(text: &str, id: &str, check: &Map<String, Value>) -> Result<String, EditError> {
    let mut document = parse(text)?;
    let table = find(&mut document, id)?;
    let keys: Vec<String> = table.iter().map(|(key, _)| key.to_owned()).collect();
    for key in keys.iter().filter(|key| key.as_str() != "id" && !check.contains_key(key.as_str())) {
        table.remove(key);
    }
    for (key, value) in ordered(check).filter(|(key, _)| *key != "id") {
        let value = value_of(key, value)?;
        match table.get_mut(key) {
            // The key keeps its place and the comments around it; the value is new.
            Some(item) => {
                let mut value = value;
                if let Some(old) = item.as_value() {
                    *value.decor_mut() = old.decor().clone();
                }
                *item = Item::Value(value);
            }
            None => {
                table.insert(key, Item::Value(value));
            }
        }
    }
    Ok(document.to_string())
}

/// `text` without the check `id` (and the comments above its table).
pub fn remove_check(text: &str, id: &str) -> Result<String, EditError> {
    let mut document = parse(text)?;
    let tables = document.get_mut("check").and_then(Item::as_array_of_tables_mut);
    let tables = tables.ok_or_else(|| EditError::UnknownCheck(id.to_owned()))?;
    let index =
        tables.iter().position(|t| id_of(t) == Some(id)).ok_or_else(|| EditError::UnknownCheck(id.to_owned()))?;
    tables.remove(index);
    if tables.is_empty() {
        document.remove("check");
    }
    Ok(document.to_string())
}

/// The check `id`'s keys as the file has them, as JSON (what a form is filled with).
pub fn check_keys(text: &str, id: &str) -> Result<Map<String, Value>, EditError> {
    let mut document = parse(text)?;
    let table = find(&mut document, id)?;
    Ok(table.iter().map(|(key, item)| (key.to_owned(), json_of(item))).collect())
}

fn parse(text: &str) -> Result<DocumentMut, EditError> {
    text.parse::<DocumentMut>().map_err(|e| EditError::Unparsable(e.message().to_owned()))
}

fn find<'d>(document: &'d mut DocumentMut, id: &str) -> Result<&'d mut Table, EditError> {
    let tables = document.get_mut("check").and_then(Item::as_array_of_tables_mut);
    let tables = tables.ok_or_else(|| EditError::UnknownCheck(id.to_owned()))?;
    tables.iter_mut().find(|t| id_of(t) == Some(id)).ok_or_else(|| EditError::UnknownCheck(id.to_owned()))
}

fn id_of(table: &Table) -> Option<&str> {
    table.get("id").and_then(Item::as_str)
}

/// The keys in the order a new table writes them: `id`, `name`, `kind`, then the rest.
fn ordered(check: &Map<String, Value>) -> impl Iterator<Item = (&str, &Value)> {
    const FIRST: [&str; 3] = ["id", "name", "kind"];
    let first = FIRST.into_iter().filter_map(|key| check.get(key).map(|v| (key, v)));
    first.chain(check.iter().filter(|(key, _)| !FIRST.contains(&key.as_str())).map(|(k, v)| (k.as_str(), v)))
}

fn table_of(check: &Map<String, Value>) -> Result<Table, EditError> {
    let mut table = Table::new();
    for (key, value) in ordered(check) {
        table.insert(key, Item::Value(value_of(key, value)?));
    }
    Ok(table)
}

/// A JSON value as a TOML value: objects as inline tables.
fn value_of(key: &str, value: &Value) -> Result<toml_edit::Value, EditError> {
    let bad = |message: &str| EditError::BadValue { key: key.to_owned(), message: message.to_owned() };
    Ok(match value {
        Value::Null => return Err(bad("null is not a TOML value: leave the key out for its default")),
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.into(),
            (None, Some(f)) if f.is_finite() => f.into(),
            _ => return Err(bad("the number is out of TOML's range")),
        },
        Value::String(s) => s.as_str().into(),
        Value::Array(items) => {
            let mut array = toml_edit::Array::new();
            for item in items {
                array.push(value_of(key, item)?);
            }
            toml_edit::Value::Array(array)
        }
        Value::Object(map) => {
            let mut table = toml_edit::InlineTable::new();
            for (inner, item) in map {
                table.insert(inner, value_of(&format!("{key}.{inner}"), item)?);
            }
            toml_edit::Value::InlineTable(table)
        }
    })
}

/// A TOML item as JSON (dates as their text).
fn json_of(item: &Item) -> Value {
    match item {
        Item::None => Value::Null,
        Item::Value(value) => json_of_value(value),
        Item::Table(table) => Value::Object(table.iter().map(|(k, v)| (k.to_owned(), json_of(v))).collect()),
        Item::ArrayOfTables(tables) => Value::Array(
            tables.iter().map(|t| Value::Object(t.iter().map(|(k, v)| (k.to_owned(), json_of(v))).collect())).collect(),
        ),
    }
}

fn json_of_value(value: &toml_edit::Value) -> Value {
    match value {
        toml_edit::Value::String(s) => Value::String(s.value().clone()),
        toml_edit::Value::Integer(i) => Value::from(*i.value()),
        toml_edit::Value::Float(f) => serde_json::Number::from_f64(*f.value()).map_or(Value::Null, Value::Number),
        toml_edit::Value::Boolean(b) => Value::Bool(*b.value()),
        toml_edit::Value::Datetime(d) => Value::String(d.value().to_string()),
        toml_edit::Value::Array(items) => Value::Array(items.iter().map(json_of_value).collect()),
        toml_edit::Value::InlineTable(table) => {
            Value::Object(table.iter().map(|(k, v)| (k.to_owned(), json_of_value(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const FILE: &str = r#"# Watchkeeper config
[settings]
interval = "30s"   # every check's default

# The public API
[[check]]
id = "api"
kind = "http"
url = "https://example.com/"   # the front door
interval = "10s"
# must answer 200
expect = ["status == 200"]

[[action]]
id = "fix"
kind = "command"
command = ["true"]

# The database
[[check]]
id = "db"
kind = "tcp"
host = "127.0.0.1"
port = 5432
"#;

    fn keys(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn an_added_check_is_appended_and_every_byte_before_it_kept() {
        let added =
            add_check(FILE, &keys(json!({"kind": "tcp", "port": 22, "id": "ssh", "host": "localhost"}))).unwrap();
        assert!(added.starts_with(FILE), "{added}");
        assert_eq!(
            &added[FILE.len()..],
            "\n[[check]]\nid = \"ssh\"\nkind = \"tcp\"\nhost = \"localhost\"\nport = 22\n"
        );
        assert!(crate::config::compile(&added, "wk.toml").is_ok());
    }

    #[test]
    fn a_replaced_check_keeps_its_place_its_comments_and_everything_else() {
        let body =
            keys(json!({"kind": "http", "url": "https://example.org/", "expect": ["status == 204"], "timeout": "5s"}));
        let replaced = replace_check(FILE, "api", &body).unwrap();
        let expected = FILE
            .replace(
                "url = \"https://example.com/\"   # the front door\ninterval = \"10s\"\n",
                "url = \"https://example.org/\"   # the front door\n",
            )
            .replace("expect = [\"status == 200\"]\n", "expect = [\"status == 204\"]\ntimeout = \"5s\"\n");
        assert_eq!(replaced, expected);
    }

    #[test]
    fn a_removed_check_goes_with_its_comments_and_nothing_else() {
        let removed = remove_check(FILE, "api").unwrap();
        let start = FILE.find("# The public API").unwrap();
        let end = FILE.find("[[action]]").unwrap();
        assert_eq!(removed, format!("{}{}", &FILE[..start], &FILE[end..]));
        assert_eq!(remove_check(FILE, "nope"), Err(EditError::UnknownCheck("nope".into())));
    }

    #[test]
    fn a_check_s_keys_read_back_as_json_and_bad_values_are_named() {
        assert_eq!(
            Value::Object(check_keys(FILE, "db").unwrap()),
            json!({"id": "db", "kind": "tcp", "host": "127.0.0.1", "port": 5432})
        );
        let error =
            add_check(FILE, &keys(json!({"id": "x", "kind": "tcp", "breaker": {"enabled": null}}))).unwrap_err();
        assert!(matches!(&error, EditError::BadValue { key, .. } if key == "breaker.enabled"), "{error}");
        assert!(matches!(replace_check("[[check", "a", &Map::new()), Err(EditError::Unparsable(_))));
    }
}
