//! The part of libsmartcols (util-linux 2.38) that `lsipc` prints through: a table
//! of named columns, printed as aligned text, raw, `NAME="value"` pairs or JSON.
//!
//! Text output is laid out as libsmartcols 2.38.1 lays it out (`__scols_calculate`
//! in `libsmartcols/src/calculate.c`, `print_data` in `print.c`): each column as wide
//! as its widest cell or its header (the header's width counts even with
//! `--noheadings`, and it is the column's name, not its `--shell` form), one space
//! between columns, right-aligned columns padded on the left, the last column not
//! padded on the right.
//!
//! When standard output is a terminal ([`Table::terminal`], see
//! [`crate::cli::terminal_width`]), the table is then fitted to the terminal's
//! width, in 2.38's steps (util-linux 2.39 rewrote them):
//! 1. a [`Column::noextremes`] column whose widest cell is more than twice its
//!    average cell width (empty cells count) is *extreme*; when the table is too
//!    wide, such a column is narrowed to its widest cell of at most twice the
//!    average (or its header). A longer cell then overflows and the rest of its
//!    line continues on the next line, under its own columns;
//! 2. when the table is narrower than the terminal, the first extreme column is
//!    widened again, by at most the difference to its widest cell. 2.38 computes
//!    that difference in unsigned arithmetic: when the widest cell is narrower than
//!    the column (its header is wider), the column *shrinks* to its widest cell, and
//!    its header overflows onto a line of its own. This clone does the same;
//! 3. when the table is still too wide, every [`Column::trunc`] column loses one
//!    cell in turn, down to its header's width, until the table fits; its cells are
//!    cut to the column. Nothing else is cut: a table that cannot be narrowed
//!    enough is printed wider than the terminal.
//!
//! The other steps of 2.38 do nothing to `lsipc`'s tables, so they are left out:
//! column width hints (`lsipc` gives 1, meaning at least one cell, which every
//! column is, or 0 for `COMMAND` and the semaphore elements, meaning none; the
//! steps for a relative hint between 0 and 1 never apply), widening the last
//! column when there is room (the last column is never padded, so it shows
//! nothing), maximised/minimised output, trees, wrapping and hidden columns.
//! The raw, export and JSON formats are never fitted.

/// One column: its name (the header; lower-cased as a JSON key), alignment and
/// how it may be narrowed on a terminal (see the module docs).
#[derive(Copy, Clone, Debug)]
pub struct Column {
    /// The header, as `lsipc` names the column.
    pub name: &'static str,
    /// `SCOLS_FL_RIGHT`.
    pub right: bool,
    /// `SCOLS_FL_TRUNC`: narrowed and its cells cut when the table is too wide.
    pub trunc: bool,
    /// `SCOLS_FL_NOEXTREMES`: its few very long cells do not widen it.
    pub noextremes: bool,
}

/// Output formats (`scols_table_enable_*`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns under a header line.
    Human,
    /// Cells separated by [`Table::separator`], hexadecimal escapes for blanks.
    Raw,
    /// `NAME="value"` pairs.
    Export,
    /// A JSON object holding an array of one object per row.
    Json,
}

/// A table; a cell is `None` when the tool set no data (JSON `null`, an empty cell).
pub struct Table {
    /// The JSON array's name (`scols_table_set_name`); `None` prints `""`.
    pub name: Option<&'static str>,
    /// The columns, in printing order.
    pub columns: Vec<Column>,
    /// One cell per column in each row.
    pub rows: Vec<Vec<Option<String>>>,
    /// How it is printed.
    pub format: Format,
    /// No header line (`--noheadings`).
    pub noheadings: bool,
    /// Column names as shell variable names (`scols_table_enable_shellvar`): in
    /// headers, export names and JSON keys, not in the widths.
    pub shellvar: bool,
    /// Between columns in the raw and export formats (`--newline` makes it "\n").
    pub separator: &'static str,
    /// The width of the terminal standard output is, `None` when it is not a
    /// terminal: text output is then fitted to it.
    pub terminal: Option<usize>,
}

/// libsmartcols' shell-variable form of a column name
/// (`scols_column_get_name_as_shellvar`): `USE%` is `USE_PCT`.
fn shellvar(name: &str) -> String {
    let mut s = String::new();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        s.push('_');
    }
    s.extend(
        name.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }),
    );
    if name.ends_with('%') {
        s.push_str("PCT");
    }
    s
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
///
/// The JSON is written by hand, not by serde_json, because libsmartcols 2.38 lays
/// it out its own way: rows joined by `},{` on one line, an empty table as `[`, an
/// empty line and `]`; serde_json's `PrettyFormatter` (even with a 3-space indent)
/// puts each `{` on its own line and writes `[]`, and a `Formatter` of its own
/// would be as long as [`Table`]'s JSON printer.
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

    /// A column's name as printed: its shell-variable form with `--shell`.
    fn header(&self, col: &Column) -> String {
        if self.shellvar {
            shellvar(col.name)
        } else {
            col.name.to_owned()
        }
    }

    fn human(&self) -> String {
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(|c| safe(c.as_deref().unwrap_or(""))).collect())
            .collect();
        let widths = self.widths(&cells);
        let mut s = String::new();
        if !self.noheadings {
            let header: Vec<String> = self.columns.iter().map(|c| self.header(c)).collect();
            self.human_line(&mut s, &header, &widths);
            s.push('\n');
        }
        for r in &cells {
            self.human_line(&mut s, r, &widths);
            s.push('\n');
        }
        s
    }

    /// The columns' widths (`__scols_calculate`, see the module docs).
    fn widths(&self, cells: &[Vec<String>]) -> Vec<usize> {
        /// What `count_column_width` learns of a column.
        struct Col {
            width: usize,
            /// The header's width, at least 1 (`width_min`).
            min: usize,
            /// The widest cell (`width_max`).
            max: usize,
            /// The average cell width, for `noextremes` columns (`width_avg`).
            avg: usize,
            extreme: bool,
        }
        let lens = |i: usize| cells.iter().map(move |r| width(&r[i]));
        let mut cols: Vec<Col> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, col)| {
                let min = width(col.name).max(1);
                let max = lens(i).max().unwrap_or(0);
                let avg = if col.noextremes && !cells.is_empty() {
                    lens(i).sum::<usize>() / cells.len()
                } else {
                    0
                };
                Col {
                    width: max.max(min),
                    min,
                    max,
                    avg,
                    extreme: avg != 0 && max > avg * 2,
                }
            })
            .collect();
        let seps = self.columns.len().saturating_sub(1);
        let mut total: usize = cols.iter().map(|c| c.width).sum::<usize>() + seps;
        let Some(term) = self.terminal else {
            return cols.into_iter().map(|c| c.width).collect();
        };
        let mut extremes = cols.iter().filter(|c| c.extreme).count();

        // Too wide: extreme columns without their extreme cells.
        if total > term && extremes > 0 {
            for (i, c) in cols.iter_mut().enumerate() {
                if !c.extreme {
                    continue;
                }
                let old = c.width;
                c.width = lens(i)
                    .filter(|&l| l <= c.avg * 2)
                    .max()
                    .unwrap_or(0)
                    .max(c.min);
                if old > c.width {
                    total -= old - c.width;
                } else {
                    extremes -= 1;
                }
            }
        }

        // Room left: the first extreme column widened again, in 2.38's unsigned
        // arithmetic (which narrows it to its widest cell when that is narrower).
        if total < term && extremes > 0 {
            for c in cols.iter_mut().filter(|c| c.extreme) {
                let mut add = term - total;
                if add != 0 && c.width + add > c.max {
                    add = c.max.wrapping_sub(c.width);
                }
                c.width = c.width.wrapping_add(add);
                total = total.wrapping_add(add);
                if total == term {
                    break;
                }
            }
        }

        // Still too wide: truncatable columns lose a cell each in turn, down to
        // their header's width.
        while total > term {
            let before = total;
            for (c, col) in cols.iter_mut().zip(&self.columns) {
                if total <= term {
                    break;
                }
                if col.trunc && c.width != c.min && c.width != 0 {
                    c.width -= 1;
                    total -= 1;
                }
            }
            if total == before {
                break;
            }
        }
        cols.into_iter().map(|c| c.width).collect()
    }

    /// One row (or the header) as `print_line`/`print_data` print it: a cell longer
    /// than its column is cut if the column truncates, else printed whole, and
    /// then, unless it is right-aligned or last, the rest of the row continues on a
    /// new line under its own columns.
    fn human_line(&self, s: &mut String, cells: &[String], widths: &[usize]) {
        let last = self.columns.len() - 1;
        for (i, (col, data)) in self.columns.iter().zip(cells).enumerate() {
            let mut width = widths[i];
            let mut len = self::width(data);
            let mut data = data.as_str();
            if i == last && len < width && !col.right {
                width = len;
            }
            if len > width && col.trunc {
                let cut = data
                    .char_indices()
                    .nth(width)
                    .map_or(data.len(), |(b, _)| b);
                data = &data[..cut];
                len = width;
            }
            if !data.is_empty() {
                if col.right {
                    s.extend(std::iter::repeat_n(' ', width.saturating_sub(len)));
                    len = width;
                }
                s.push_str(data);
            }
            if i == last {
                return;
            }
            s.extend(std::iter::repeat_n(' ', width.saturating_sub(len)));
            if len > width && !col.trunc {
                // print_newline_padding: this column and those before it, empty.
                s.push('\n');
                for w in &widths[..=i] {
                    s.extend(std::iter::repeat_n(' ', *w));
                    s.push(' ');
                }
            } else {
                s.push(' ');
            }
        }
    }

    fn flat(&self) -> String {
        let mut lines = Vec::new();
        if !self.noheadings && self.format == Format::Raw {
            let header: Vec<String> = self
                .columns
                .iter()
                .map(|c| nonblank(&self.header(c)))
                .collect();
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
                        Format::Export => format!("{}={}", self.header(col), quoted(data)),
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
                s.push_str(&json_string(&self.header(col).to_ascii_lowercase()));
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
