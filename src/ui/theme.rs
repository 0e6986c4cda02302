//! Colour themes: YAML files with a palette and named styles.
//!
//! Styles are looked up by dotted scope with fallback, as in helix:
//! `status.down.critical` → `status.down` → `status` → the default style.
//! A theme may `inherits` another (cycles are detected); user themes in
//! `<config dir>/mayday/themes` override bundled ones of the same name. A bad
//! theme file never stops the app: it is reported as a warning and the
//! default theme is used. `NO_COLOR` removes every colour and keeps
//! modifiers (bold, reverse, …), so meaning never depends on colour alone.

use crate::util::diag::{Diagnostic, Pos};
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The theme used when none is named.
pub const DEFAULT: &str = "dark";

/// A resolved theme.
#[derive(Clone, Debug, Default)]
pub struct Theme {
    /// The theme's name.
    pub name: String,
    styles: HashMap<String, Style>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    #[allow(dead_code)]
    name: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
    inherits: Option<String>,
    #[serde(default)]
    palette: BTreeMap<String, String>,
    #[serde(default)]
    styles: BTreeMap<String, RawStyle>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(untagged)]
enum RawStyle {
    /// Shorthand: just a foreground colour.
    Fg(String),
    Full {
        fg: Option<String>,
        bg: Option<String>,
        #[serde(default)]
        modifiers: Vec<String>,
    },
}

/// Where theme files come from.
#[derive(Clone, Debug, Default)]
pub struct ThemeSources {
    /// `<config dir>/mayday/themes`.
    pub user_dir: Option<PathBuf>,
}

impl ThemeSources {
    /// The user theme directory of this platform.
    pub fn from_platform() -> Self {
        Self {
            user_dir: crate::util::paths::user_theme_dir(),
        }
    }

    /// The text of theme `name`: the user's file first, then the bundled one.
    fn find(&self, name: &str) -> Option<(String, Result<String, String>)> {
        if let Some(dir) = &self.user_dir {
            for ext in ["yaml", "yml"] {
                let p = dir.join(format!("{name}.{ext}"));
                if p.is_file() {
                    let display = p.display().to_string();
                    return Some((
                        display,
                        std::fs::read_to_string(&p).map_err(|e| e.to_string()),
                    ));
                }
            }
        }
        crate::runbook::library::bundled::THEMES
            .iter()
            .find(|(file, _)| file.rsplit_once('.').map(|(stem, _)| stem) == Some(name))
            .map(|(file, bytes)| {
                (
                    format!("bundled:themes/{file}"),
                    String::from_utf8(bytes.to_vec()).map_err(|_| "not UTF-8".to_owned()),
                )
            })
    }

    /// Every theme name available (bundled and user), sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = crate::runbook::library::bundled::THEMES
            .iter()
            .filter_map(|(f, _)| f.rsplit_once('.').map(|(s, _)| s.to_owned()))
            .collect();
        if let Some(dir) = &self.user_dir
            && let Ok(entries) = std::fs::read_dir(dir)
        {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(stem) = name
                    .strip_suffix(".yaml")
                    .or_else(|| name.strip_suffix(".yml"))
                {
                    names.push(stem.to_owned());
                }
            }
        }
        names.sort();
        names.dedup();
        names
    }
}

impl Theme {
    /// Load theme `name`, falling back to the default theme (and then to a
    /// built-in one) with warnings when anything is wrong.
    pub fn load(name: &str, sources: &ThemeSources) -> (Theme, Vec<Diagnostic>) {
        let mut warnings = Vec::new();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let mut theme = match resolve(name, sources, &mut warnings, &mut Vec::new()) {
            Some(t) => t,
            None if name != DEFAULT => {
                warnings.push(Diagnostic::warning(
                    "theme",
                    Pos::new(0, 0),
                    format!("using the `{DEFAULT}` theme instead of `{name}`"),
                ));
                resolve(DEFAULT, sources, &mut warnings, &mut Vec::new())
                    .unwrap_or_else(Theme::builtin)
            }
            None => Theme::builtin(),
        };
        if no_color {
            theme = theme.without_colors();
        }
        (theme, warnings)
    }

    /// A minimal theme compiled into the code, for when no file can be read.
    pub fn builtin() -> Theme {
        let mut styles = HashMap::new();
        let bold = Style::default().add_modifier(Modifier::BOLD);
        styles.insert(
            "ui.selected".into(),
            Style::default().add_modifier(Modifier::REVERSED),
        );
        styles.insert("ui.title".into(), bold);
        styles.insert("status.down".into(), bold);
        styles.insert("md.heading".into(), bold);
        Theme {
            name: "builtin".into(),
            styles,
        }
    }

    /// Parse a theme from text (no inheritance resolved). For tests and
    /// `mayday lint`-style checks of theme files.
    pub fn parse(name: &str, text: &str) -> Result<Theme, Vec<Diagnostic>> {
        let mut warnings = Vec::new();
        let raw: RawTheme = serde_saphyr::from_str(text).map_err(|e| {
            vec![crate::util::yaml::yaml_error(
                &e,
                text,
                0,
                "theme-syntax",
                "docs/themes.md",
            )]
        })?;
        let mut styles = HashMap::new();
        apply_raw(&raw, &mut styles, &mut warnings, name);
        if warnings.is_empty() {
            Ok(Theme {
                name: name.to_owned(),
                styles,
            })
        } else {
            Err(warnings)
        }
    }

    /// The style for a dotted scope, with fallback to its parents.
    pub fn style(&self, scope: &str) -> Style {
        let mut s = scope;
        loop {
            if let Some(st) = self.styles.get(s) {
                return *st;
            }
            match s.rfind('.') {
                Some(i) => s = &s[..i],
                None => return Style::default(),
            }
        }
    }

    /// The same theme with every colour removed (modifiers kept).
    #[must_use]
    pub fn without_colors(mut self) -> Theme {
        for st in self.styles.values_mut() {
            st.fg = None;
            st.bg = None;
            st.underline_color = None;
        }
        self
    }

    /// The Markdown renderer's styles from this theme.
    pub fn md_styles(&self) -> crate::ui::mdview::MdStyles {
        crate::ui::mdview::MdStyles {
            text: self.style("md.text"),
            heading: self.style("md.heading"),
            emphasis: self.style("md.emphasis"),
            strong: self.style("md.strong"),
            code: self.style("md.code"),
            link: self.style("md.link"),
            quote: self.style("md.quote"),
            bullet: self.style("md.bullet"),
            check_open: self.style("md.check.open"),
            check_done: self.style("md.check.done"),
            selected: self.style("ui.selected"),
            decision: self.style("md.decision"),
            choice_key: self.style("md.choice"),
            verify_met: self.style("status.up"),
            verify_unmet: self.style("md.verify.unmet"),
            wait: self.style("md.wait"),
            runnable: self.style("md.runnable"),
            display_only: self.style("md.display"),
            variable_missing: self.style("md.variable.missing"),
            muted: self.style("ui.muted"),
            mark_code: false,
        }
    }
}

fn resolve(
    name: &str,
    sources: &ThemeSources,
    warnings: &mut Vec<Diagnostic>,
    chain: &mut Vec<String>,
) -> Option<Theme> {
    let (raw, path) = resolve_raw(name, sources, warnings, chain)?;
    let mut styles = HashMap::new();
    let mut local = Vec::new();
    apply_raw(&raw, &mut styles, &mut local, &path);
    warnings.extend(local);
    Some(Theme {
        name: name.to_owned(),
        styles,
    })
}

/// A theme with its ancestors merged *before* colours are looked up: a
/// child's palette entries replace the parent's, so the parent's styles
/// that name `red` get the child's `red` (the colour-blind theme relies on
/// this). The child's styles replace the parent's, scope by scope.
fn resolve_raw(
    name: &str,
    sources: &ThemeSources,
    warnings: &mut Vec<Diagnostic>,
    chain: &mut Vec<String>,
) -> Option<(RawTheme, String)> {
    if chain.iter().any(|n| n == name) {
        warnings.push(Diagnostic::warning(
            "theme",
            Pos::new(0, 0),
            format!("theme inheritance cycle: {} → {name}", chain.join(" → ")),
        ));
        return None;
    }
    chain.push(name.to_owned());
    let Some((path, text)) = sources.find(name) else {
        let mut searched = vec!["the bundled themes".to_owned()];
        if let Some(d) = &sources.user_dir {
            searched.push(d.display().to_string());
        }
        warnings.push(
            Diagnostic::warning(
                "theme",
                Pos::new(0, 0),
                format!(
                    "no theme named `{name}` (searched {})",
                    searched.join(" and ")
                ),
            )
            .with_hint(format!("available: {}", sources.names().join(", ")))
            .at_path(&format!("theme `{name}`")),
        );
        return None;
    };
    let text = match text {
        Ok(t) => t,
        Err(e) => {
            warnings.push(
                Diagnostic::warning(
                    "theme",
                    Pos::new(0, 0),
                    format!("cannot read the theme: {e}"),
                )
                .at_path(&path),
            );
            return None;
        }
    };
    let mut raw: RawTheme = match serde_saphyr::from_str::<Option<RawTheme>>(&text) {
        Ok(r) => r.unwrap_or_default(),
        Err(e) => {
            let mut d =
                crate::util::yaml::yaml_error(&e, &text, 0, "theme-syntax", "docs/themes.md")
                    .at_path(&path);
            d.severity = crate::util::diag::Level::Warning;
            warnings.push(d);
            return None;
        }
    };
    if let Some(parent) = raw.inherits.take()
        && let Some((base, _)) = resolve_raw(&parent, sources, warnings, chain)
    {
        let mut palette = base.palette;
        palette.append(&mut raw.palette);
        let mut styles = base.styles;
        styles.append(&mut raw.styles);
        raw.palette = palette;
        raw.styles = styles;
    }
    Some((raw, path))
}

fn apply_raw(
    raw: &RawTheme,
    styles: &mut HashMap<String, Style>,
    warnings: &mut Vec<Diagnostic>,
    path: &str,
) {
    for (scope, rs) in &raw.styles {
        match to_style(rs, &raw.palette) {
            Ok(st) => {
                styles.insert(scope.clone(), st);
            }
            Err(e) => warnings.push(
                Diagnostic::warning("theme", Pos::new(0, 0), format!("style `{scope}`: {e}"))
                    .with_hint("colours are palette names, #rrggbb, ANSI names (red, lightblue, …) or 0–255")
                    .at_path(path),
            ),
        }
    }
}

fn to_style(rs: &RawStyle, palette: &BTreeMap<String, String>) -> Result<Style, String> {
    let (fg, bg, mods) = match rs {
        RawStyle::Fg(fg) => (Some(fg), None, &[][..]),
        RawStyle::Full { fg, bg, modifiers } => (fg.as_ref(), bg.as_ref(), modifiers.as_slice()),
    };
    let mut st = Style::default();
    if let Some(fg) = fg {
        st = st.fg(color(fg, palette)?);
    }
    if let Some(bg) = bg {
        st = st.bg(color(bg, palette)?);
    }
    for m in mods {
        st = st.add_modifier(match m.to_ascii_lowercase().as_str() {
            "bold" => Modifier::BOLD,
            "dim" => Modifier::DIM,
            "italic" => Modifier::ITALIC,
            "underlined" | "underline" => Modifier::UNDERLINED,
            "reversed" | "reverse" => Modifier::REVERSED,
            "crossed_out" | "strikethrough" => Modifier::CROSSED_OUT,
            "slow_blink" | "blink" => Modifier::SLOW_BLINK,
            other => return Err(format!("unknown modifier `{other}`")),
        });
    }
    Ok(st)
}

fn color(name: &str, palette: &BTreeMap<String, String>) -> Result<Color, String> {
    let name = name.trim();
    if let Some(p) = palette.get(name) {
        return parse_color(p)
            .ok_or_else(|| format!("palette colour `{name}` = `{p}` is not a colour"));
    }
    parse_color(name).ok_or_else(|| format!("`{name}` is not a colour or palette name"))
}

fn parse_color(s: &str) -> Option<Color> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix('#') {
        if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            let v = u32::from_str_radix(hex, 16).ok()?;
            return Some(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
        }
        return None;
    }
    if let Ok(n) = s.parse::<u8>() {
        return Some(Color::Indexed(n));
    }
    Some(
        match s.to_ascii_lowercase().replace(['_', '-', ' '], "").as_str() {
            "reset" | "default" => Color::Reset,
            "black" => Color::Black,
            "red" => Color::Red,
            "green" => Color::Green,
            "yellow" => Color::Yellow,
            "blue" => Color::Blue,
            "magenta" => Color::Magenta,
            "cyan" => Color::Cyan,
            "gray" | "grey" => Color::Gray,
            "darkgray" | "darkgrey" => Color::DarkGray,
            "lightred" => Color::LightRed,
            "lightgreen" => Color::LightGreen,
            "lightyellow" => Color::LightYellow,
            "lightblue" => Color::LightBlue,
            "lightmagenta" => Color::LightMagenta,
            "lightcyan" => Color::LightCyan,
            "white" => Color::White,
            _ => return None,
        },
    )
}

/// Check a theme directory's files (for tests and CI): every file parses,
/// every colour resolves.
pub fn check_file(path: &Path) -> Vec<Diagnostic> {
    let display = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => match Theme::parse(&display, &text) {
            Ok(_) => Vec::new(),
            Err(ws) => ws.into_iter().map(|d| d.at_path(&display)).collect(),
        },
        Err(e) => {
            vec![Diagnostic::warning("theme", Pos::new(0, 0), e.to_string()).at_path(&display)]
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_child_palette_reaches_the_parents_styles() {
        // colorblind inherits dark and only redefines `red`; dark's
        // `status.down: red` must come out in colorblind's red.
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return; // colours are stripped by design
        }
        let (cb, warnings) = Theme::load("colorblind", &ThemeSources::default());
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            cb.style("status.down").fg,
            Some(Color::Rgb(0xd5, 0x5e, 0x00))
        );
        let (dark, _) = Theme::load("dark", &ThemeSources::default());
        assert_eq!(
            dark.style("status.down").fg,
            Some(Color::Rgb(0xbf, 0x61, 0x6a))
        );
    }

    #[test]
    fn an_unknown_theme_names_itself_and_where_it_looked() {
        let (_, warnings) = Theme::load("bogus", &ThemeSources::default());
        let text = warnings[0].to_string();
        assert!(
            text.starts_with("theme `bogus`: warning[theme]: no theme named `bogus` (searched"),
            "{text}"
        );
        assert!(!text.contains(":0:0"), "{text}");
    }

    use super::*;

    #[test]
    fn dotted_scopes_fall_back() {
        let t = Theme::parse(
            "t",
            "palette:\n  red: '#ff0000'\nstyles:\n  status: blue\n  status.down: { fg: red, modifiers: [bold] }\n",
        )
        .unwrap();
        assert_eq!(
            t.style("status.down.critical").fg,
            Some(Color::Rgb(255, 0, 0))
        );
        assert!(t.style("status.down").add_modifier.contains(Modifier::BOLD));
        assert_eq!(t.style("status.up").fg, Some(Color::Blue));
        assert_eq!(t.style("nothing"), Style::default());
    }

    #[test]
    fn bad_colours_are_reported_not_fatal() {
        let e = Theme::parse("t", "styles:\n  ui: { fg: notacolour }\n").unwrap_err();
        assert!(e[0].message.contains("notacolour"));
        let e = Theme::parse("t", "styles: [\n").unwrap_err();
        assert_eq!(e[0].code, "theme-syntax");
    }

    #[test]
    fn user_themes_override_and_inherit_with_cycle_detection() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mine.yaml"),
            "inherits: dark\nstyles:\n  ui.title: magenta\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("a.yaml"), "inherits: b\n").unwrap();
        std::fs::write(dir.path().join("b.yaml"), "inherits: a\n").unwrap();
        std::fs::write(dir.path().join("broken.yaml"), "styles: {ui: [\n").unwrap();
        let src = ThemeSources {
            user_dir: Some(dir.path().to_path_buf()),
        };
        let (t, w) = Theme::load("mine", &src);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(t.style("ui.title").fg, Some(Color::Magenta));
        let (_, w) = Theme::load("a", &src);
        assert!(w.iter().any(|d| d.message.contains("cycle")), "{w:?}");
        let (t, w) = Theme::load("broken", &src);
        assert_eq!(t.name, DEFAULT);
        assert!(
            w.iter()
                .any(|d| d.code == "theme-syntax" && d.path.ends_with("broken.yaml")),
            "{w:?}"
        );
        let (t, w) = Theme::load("missing", &src);
        assert_eq!(t.name, DEFAULT);
        assert!(!w.is_empty());
    }
}
