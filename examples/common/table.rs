//! The part of libsmartcols (util-linux 2.38) that `lsipc` prints through: a table
//! of named columns, printed as aligned text, raw, `NAME="value"` pairs or JSON.
//!
//! Text output is laid out as libsmartcols does when standard output is *not* a
//! terminal: each column as wide as its widest cell or header, one space between
//! columns, right-aligned columns padded on the left, the last column not padded on
//! the right. On a terminal libsmartcols also fits the table to the terminal's width
//! (truncating or widening columns); this clone never does.

/// One column: its name (the header; lower-cased as a JSON key) and alignment.
#[derive(Copy, Clone, Debug)]
pub struct Column {
    pub name: &'static str,
    pub right: bool,
}

/// Output formats (`scols_table_enable_*`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Raw,
    Export,
    Json,
}

/// A table; a cell is `None` when the tool set no data (JSON `null`, an empty cell).
pub struct Table {
    pub name: Option<&'static str>,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Option<String>>>,
    pub format: Format,
    pub noheadings: bool,
    /// Between columns in the raw and export formats (`--newline` makes it "\n").
    pub separator: &'static str,
}

/// libsmartcols' "safe" encoding for the terminal: control characters and a
/// backslash starting `\x` become `\xHH`, so a cell cannot move the cursor.
fn safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    for (i, c) in s.char_indices() {
        let escape = c.is_control() || (c == '\\' && b.get(i + 1) == Some(&b'x'));
        if escape && c.is_ascii() {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Text width in terminal cells: one per character (the tools print ASCII, user
/// names and command lines; wide characters would count double in libsmartcols).
fn width(s: &str) -> usize {
    s.chars().count()
}

/// `fputs_nonblank`: blanks, backslash and unprintable bytes as `\xHH`.
fn nonblank(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if c == b' ' || c == b'\t' || c == b'\\' || !(0x20..0x7f).contains(&c) {
            out.push_str(&format!("\\x{c:02x}"));
        } else {
            out.push(c as char);
        }
    }
    out
}

/// `fputs_quoted`: in double quotes, with `"`, `\`, `` ` ``, `$` and unprintable
/// bytes as `\xHH`.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for &c in s.as_bytes() {
        if matches!(c, b'"' | b'\\' | b'`' | b'$') || !(0x20..0x7f).contains(&c) {
            out.push_str(&format!("\\x{c:02x}"));
        } else {
            out.push(c as char);
        }
    }
    out.push('"');
    out
}

/// A JSON string as util-linux's `fputs_quoted_json` writes it.
fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u00{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Table {
    /// `scols_print_table`.
    pub fn render(&self) -> String {
        match self.format {
            Format::Json => self.json(),
            _ if self.rows.is_empty() => String::new(),
            Format::Human => self.human(),
            Format::Raw | Format::Export => self.flat(),
        }
    }

    fn human(&self) -> String {
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(|c| safe(c.as_deref().unwrap_or(""))).collect())
            .collect();
        let widths: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, col)| {
                cells
                    .iter()
                    .map(|r| width(&r[i]))
                    .chain([width(col.name).max(1)])
                    .max()
                    .unwrap_or(1)
            })
            .collect();
        let mut lines = Vec::new();
        if !self.noheadings {
            let header: Vec<String> = self.columns.iter().map(|c| c.name.to_owned()).collect();
            lines.push(self.human_line(&header, &widths));
        }
        for r in &cells {
            lines.push(self.human_line(r, &widths));
        }
        let mut s = lines.join("\n");
        s.push('\n');
        s
    }

    fn human_line(&self, cells: &[String], widths: &[usize]) -> String {
        let mut line = String::new();
        let last = self.columns.len() - 1;
        for (i, (col, data)) in self.columns.iter().zip(cells).enumerate() {
            let len = width(data);
            let pad = widths[i].saturating_sub(len);
            if col.right && !data.is_empty() {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(data);
                if i != last {
                    line.push(' ');
                }
                continue;
            }
            line.push_str(data);
            if i != last {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push(' ');
            }
        }
        line
    }

    fn flat(&self) -> String {
        let mut lines = Vec::new();
        if !self.noheadings && self.format == Format::Raw {
            let header: Vec<String> = self.columns.iter().map(|c| nonblank(c.name)).collect();
            lines.push(header.join(" "));
        }
        for r in &self.rows {
            let cells: Vec<String> = self
                .columns
                .iter()
                .zip(r)
                .map(|(col, c)| {
                    let data = c.as_deref().unwrap_or("");
                    match self.format {
                        Format::Export => format!("{}={}", col.name, quoted(data)),
                        _ => nonblank(data),
                    }
                })
                .collect();
            lines.push(cells.join(self.separator));
        }
        let mut s = lines.join("\n");
        s.push('\n');
        s
    }

    fn json(&self) -> String {
        let mut s = String::from("{\n   ");
        s.push_str(&json_string(self.name.unwrap_or("")));
        s.push_str(": [\n");
        for (n, r) in self.rows.iter().enumerate() {
            s.push_str(if n == 0 { "      {\n" } else { ",{\n" });
            for (i, (col, c)) in self.columns.iter().zip(r).enumerate() {
                if i > 0 {
                    s.push_str(",\n");
                }
                s.push_str("         ");
                s.push_str(&json_string(&col.name.to_ascii_lowercase()));
                s.push_str(": ");
                match c.as_deref() {
                    Some(d) if !d.is_empty() => s.push_str(&json_string(d)),
                    _ => s.push_str("null"),
                }
            }
            s.push_str("\n      }");
        }
        s.push_str("\n   ]\n}\n");
        s
    }
}
