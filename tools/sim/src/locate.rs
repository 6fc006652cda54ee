//! Maps between byte offsets in a TOML document and field paths such as
//! `agents.traders[1].leverage.max`, so that errors can name both.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

/// Every key and value of a document with its path and span.
fn nodes(text: &str) -> Option<Vec<(String, Range<usize>)>> {
    let root = DeTable::parse(text).ok()?;
    let mut out = Vec::new();
    walk_table(root.get_ref(), "", &mut out);
    Some(out)
}

fn walk_table(table: &DeTable<'_>, prefix: &str, out: &mut Vec<(String, Range<usize>)>) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        out.push((path.clone(), key.span()));
        walk_value(value.get_ref(), value.span(), &path, out);
    }
}

fn walk_value(
    value: &DeValue<'_>,
    span: Range<usize>,
    path: &str,
    out: &mut Vec<(String, Range<usize>)>,
) {
    out.push((path.to_string(), span));
    match value {
        DeValue::Table(t) => walk_table(t, path, out),
        DeValue::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                walk_value(item.get_ref(), item.span(), &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// The field path at a byte offset: the smallest key or value containing it,
/// else the nearest one before it. For text that does not parse, the
/// enclosing `[table]` header and the key on the offending line.
pub fn path_at(text: &str, offset: usize) -> String {
    let Some(nodes) = nodes(text) else {
        return textual_path(text, offset);
    };
    let containing = nodes
        .iter()
        .filter(|(_, s)| s.start <= offset && offset < s.end.max(s.start + 1))
        .min_by_key(|(_, s)| s.end - s.start);
    let nearest = || nodes.iter().filter(|(_, s)| s.start <= offset).max_by_key(|(_, s)| s.start);
    containing.or_else(nearest).map_or_else(String::new, |(p, _)| p.clone())
}

/// The offset of the value at `path` (or its nearest existing parent).
pub fn offset_of(text: &str, path: &str) -> usize {
    let Some(nodes) = nodes(text) else { return 0 };
    let mut path = path.to_string();
    loop {
        // The value (pushed after its key) is the better place to point at.
        if let Some((_, span)) = nodes.iter().rev().find(|(p, _)| *p == path) {
            return span.start;
        }
        match path.rfind(['.', '[']) {
            Some(cut) => path.truncate(cut),
            None => return 0,
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn textual_path(text: &str, offset: usize) -> String {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let mut table = String::new();
    for line in before.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            table = t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
        }
    }
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    let key =
        line.split('=').next().map(str::trim).filter(|k| !k.is_empty() && !k.starts_with('['));
    match (table.is_empty(), key) {
        (true, Some(k)) => k.to_string(),
        (false, Some(k)) => format!("{table}.{k}"),
        (_, None) => table,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "a = 1\n[b]\nc = [1, 2]\n[[d]]\ne = \"x\"\n[[d]]\ne = \"y\"\n";

    #[test]
    fn paths_of_nested_values() {
        let y = DOC.find("\"y\"").expect("present");
        assert_eq!(path_at(DOC, y), "d[1].e");
        let two = DOC.find('2').expect("present");
        assert_eq!(path_at(DOC, two), "b.c[1]");
    }

    #[test]
    fn offsets_of_paths() {
        assert_eq!(offset_of(DOC, "d[1].e"), DOC.find("\"y\"").expect("present"));
        assert_eq!(line_column(DOC, offset_of(DOC, "b.c")), (3, 5));
    }

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
    }

    #[test]
    fn unparsable_text_falls_back_to_header_and_key() {
        let text = "[x]\ny = \"open\n";
        assert_eq!(path_at(text, text.find("\"open").expect("present")), "x.y");
    }
}
