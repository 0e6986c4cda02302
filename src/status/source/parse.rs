//! Reading the `sources:` list as written (every field checked against
//! the kind, errors with the line and a hint) into [`SourceConfig`]s.

use super::*;

/// One entry of `sources:` as written.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSource {
    name: Option<Spanned<String>>,
    kind: Option<Spanned<String>>,
    interval: Option<Spanned<DurationText>>,
    timeout: Option<Spanned<DurationText>>,
    url: Option<Spanned<String>>,
    token_env: Option<Spanned<String>>,
    token_file: Option<Spanned<String>>,
    // http
    expect_status: Option<Spanned<StatusList>>,
    body_contains: Option<Spanned<String>>,
    body_regex: Option<Spanned<String>>,
    slow: Option<Spanned<DurationText>>,
    // prometheus
    query: Option<Spanned<String>>,
    threshold: Option<Spanned<f64>>,
    compare: Option<Spanned<String>>,
    breach: Option<Spanned<String>>,
    // alertmanager
    filter: Option<Spanned<OneOrMany>>,
    ignore_alerts: Option<Spanned<OneOrMany>>,
    // sentry
    org: Option<Spanned<String>>,
    project: Option<Spanned<String>>,
    window: Option<Spanned<DurationText>>,
    // uptime-kuma
    slug: Option<Spanned<String>>,
    // loki
    tenant: Option<Spanned<String>>,
    // pagerduty
    from: Option<Spanned<String>>,
    user_ids: Option<Spanned<OneOrMany>>,
    service_ids: Option<Spanned<OneOrMany>>,
    team_ids: Option<Spanned<OneOrMany>>,
    acknowledge: Option<Spanned<bool>>,
    mirror_notes: Option<Spanned<bool>>,
}

/// `expect_status: 200`, `expect_status: [200, 204]`, `expect_status: 2xx`.
#[derive(Debug, Default)]
pub(crate) struct StatusList(Vec<String>);

impl<'de> Deserialize<'de> for StatusList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StatusList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a status code (200), a class (2xx) or a list of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StatusList, E> {
                Ok(StatusList(vec![v.to_owned()]))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<StatusList, E> {
                Ok(StatusList(vec![v.to_string()]))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<StatusList, E> {
                Ok(StatusList(vec![v.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StatusList, A::Error> {
                let mut out = Vec::new();
                while let Some(Scalar(s)) = seq.next_element()? {
                    out.push(s);
                }
                Ok(StatusList(out))
            }
        }
        d.deserialize_any(V)
    }
}

fn err(loc: &Location, message: impl Into<String>, hint: impl Into<String>) -> Diagnostic {
    Diagnostic::error("invalid-source", pos_of(loc), message).with_hint(hint)
}

fn duration_of(
    d: &Spanned<DurationText>,
    what: &str,
    source: &str,
) -> Result<Duration, Diagnostic> {
    crate::util::yaml::spanned_duration(d, &format!("source `{source}`: {what}"))
}

fn text(field: &Option<Spanned<String>>) -> Option<(&str, &Location)> {
    field.as_ref().map(|s| (s.value.trim(), &s.referenced))
}

/// Check the whole `sources:` list: every field, and that names are unique.
pub(crate) fn parse_sources(raw: Vec<Spanned<RawSource>>) -> Result<Vec<SourceConfig>, Diagnostic> {
    let (good, mut bad) = parse_sources_lenient(raw);
    match bad.is_empty() {
        true => Ok(good),
        false => Err(bad.remove(0)),
    }
}

/// [`parse_sources`], keeping every source that reads and reporting the
/// ones that do not: one bad source must not take the others' status away.
pub(crate) fn parse_sources_lenient(
    raw: Vec<Spanned<RawSource>>,
) -> (Vec<SourceConfig>, Vec<Diagnostic>) {
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut out = Vec::with_capacity(raw.len());
    let mut bad = Vec::new();
    for entry in raw {
        let at = entry.referenced;
        let src = match parse_source(entry.value, &at) {
            Ok(s) => s,
            Err(d) => {
                bad.push(d);
                continue;
            }
        };
        if let Some(first) = seen.get(&src.name) {
            bad.push(
                Diagnostic::error(
                    "duplicate-source",
                    Pos::new(src.line, 1),
                    format!(
                        "a source named `{}` is already defined on line {first}",
                        src.name
                    ),
                )
                .with_hint("give every source its own name: runbooks refer to sources by name"),
            );
            continue;
        }
        seen.insert(src.name.clone(), src.line);
        out.push(src);
    }
    (out, bad)
}

fn parse_source(r: RawSource, at: &Location) -> Result<SourceConfig, Diagnostic> {
    let Some((name, name_at)) = text(&r.name) else {
        return Err(err(
            at,
            "this source has no `name`",
            "add `name: …`: the panel and runbooks refer to the source by it",
        ));
    };
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(err(
            name_at,
            "a source name must be non-empty text without control characters",
            "write e.g. `name: api`",
        ));
    }
    let name = name.to_owned();
    let line = pos_of(name_at).line;
    let kinds = Kind::CONFIGURABLE.map(Kind::as_str).join(", ");
    let Some((kind_text, kind_at)) = text(&r.kind) else {
        return Err(err(
            name_at,
            format!("source `{name}` has no `kind`"),
            format!("add `kind:` with one of: {kinds}"),
        ));
    };
    let Some(kind) = Kind::CONFIGURABLE
        .into_iter()
        .find(|k| k.as_str() == kind_text.to_ascii_lowercase())
    else {
        return Err(err(
            kind_at,
            format!("source `{name}`: unknown kind `{kind_text}`"),
            format!("use one of: {kinds}"),
        ));
    };

    // Fields that belong to another kind.
    let specific: [(&str, Option<&Location>); 21] = [
        (
            "expect_status",
            r.expect_status.as_ref().map(|s| &s.referenced),
        ),
        (
            "body_contains",
            r.body_contains.as_ref().map(|s| &s.referenced),
        ),
        ("body_regex", r.body_regex.as_ref().map(|s| &s.referenced)),
        ("slow", r.slow.as_ref().map(|s| &s.referenced)),
        ("query", r.query.as_ref().map(|s| &s.referenced)),
        ("threshold", r.threshold.as_ref().map(|s| &s.referenced)),
        ("compare", r.compare.as_ref().map(|s| &s.referenced)),
        ("breach", r.breach.as_ref().map(|s| &s.referenced)),
        ("filter", r.filter.as_ref().map(|s| &s.referenced)),
        (
            "ignore_alerts",
            r.ignore_alerts.as_ref().map(|s| &s.referenced),
        ),
        ("org", r.org.as_ref().map(|s| &s.referenced)),
        ("project", r.project.as_ref().map(|s| &s.referenced)),
        ("window", r.window.as_ref().map(|s| &s.referenced)),
        ("slug", r.slug.as_ref().map(|s| &s.referenced)),
        ("tenant", r.tenant.as_ref().map(|s| &s.referenced)),
        ("from", r.from.as_ref().map(|s| &s.referenced)),
        ("user_ids", r.user_ids.as_ref().map(|s| &s.referenced)),
        ("service_ids", r.service_ids.as_ref().map(|s| &s.referenced)),
        ("team_ids", r.team_ids.as_ref().map(|s| &s.referenced)),
        ("acknowledge", r.acknowledge.as_ref().map(|s| &s.referenced)),
        (
            "mirror_notes",
            r.mirror_notes.as_ref().map(|s| &s.referenced),
        ),
    ];
    for (field, loc) in specific {
        if let Some(loc) = loc
            && !kind.fields().contains(&field)
        {
            let own = kind.fields();
            return Err(err(
                loc,
                format!("source `{name}`: `{field}` does not apply to kind `{kind}`"),
                if own.is_empty() {
                    format!(
                        "kind `{kind}` takes only the common fields (url, interval, timeout, token_env, token_file); {SEE}"
                    )
                } else {
                    format!("kind `{kind}` takes: {}; {SEE}", own.join(", "))
                },
            ));
        }
    }

    let interval = match &r.interval {
        Some(d) => {
            let v = duration_of(d, "interval", &name)?;
            if v < Duration::from_secs(1) {
                return Err(err(
                    &d.referenced,
                    format!("source `{name}`: interval must be at least 1s"),
                    "write e.g. `interval: 30s`",
                ));
            }
            v
        }
        None => DEFAULT_INTERVAL,
    };
    let timeout = match &r.timeout {
        Some(d) => {
            let v = duration_of(d, "timeout", &name)?;
            if v.is_zero() {
                return Err(err(
                    &d.referenced,
                    format!("source `{name}`: timeout must be more than 0"),
                    "write e.g. `timeout: 10s`",
                ));
            }
            v
        }
        None => DEFAULT_TIMEOUT,
    };

    let url = match text(&r.url) {
        Some((u, loc)) => parse_url(u, loc, &name)?,
        None => match kind.default_url() {
            Some(u) => Url::parse(u).map_err(|e| err(kind_at, e.to_string(), SEE))?,
            None => {
                return Err(err(
                    kind_at,
                    format!("source `{name}`: kind `{kind}` needs a `url`"),
                    match kind {
                        Kind::Http => "add `url:` with the address to check".to_owned(),
                        _ => format!(
                            "add `url:` with the base address of your {kind} (e.g. `url: http://localhost:9090`)"
                        ),
                    },
                ));
            }
        },
    };

    let credential = match (text(&r.token_env), text(&r.token_file)) {
        (Some(_), Some((_, loc))) => {
            return Err(err(
                loc,
                format!("source `{name}` has both token_env and token_file"),
                "keep one of them",
            ));
        }
        (Some((var, loc)), None) => {
            if var.is_empty() || var.contains('=') || var.contains('\0') {
                return Err(err(
                    loc,
                    format!("source `{name}`: token_env must name an environment variable"),
                    "write e.g. `token_env: SENTRY_TOKEN` (the name, not the token)",
                ));
            }
            Credential::Env(var.to_owned())
        }
        (None, Some((path, loc))) => {
            if path.is_empty() {
                return Err(err(
                    loc,
                    format!("source `{name}`: token_file is empty"),
                    "write the path of a file holding only the token",
                ));
            }
            Credential::File(PathBuf::from(path))
        }
        (None, None) => {
            if kind.needs_token() {
                return Err(err(
                    kind_at,
                    format!("source `{name}`: kind `{kind}` needs a token"),
                    "add `token_env: VAR` (an environment variable holding the token) or `token_file: PATH` (a file only you can read)",
                ));
            }
            Credential::None
        }
    };

    let spec = match kind {
        Kind::Http => http_spec(&r, &name)?,
        Kind::Statuspage => Spec::Statuspage,
        Kind::Prometheus => prometheus_spec(&r, &name)?,
        Kind::Alertmanager => Spec::Alertmanager {
            filter: r
                .filter
                .map(|f| {
                    f.value
                        .0
                        .into_iter()
                        .filter(|s| !s.trim().is_empty())
                        .collect()
                })
                .unwrap_or_default(),
        },
        Kind::Sentry => {
            let org = required(&r.org, "org", &name, kind_at, "your organization's slug")?;
            let project = required(&r.project, "project", &name, kind_at, "the project's slug")?;
            let window = match &r.window {
                Some(w) => {
                    let v = duration_of(w, "window", &name)?;
                    if v < Duration::from_secs(60) {
                        return Err(err(
                            &w.referenced,
                            format!("source `{name}`: window must be at least 1m"),
                            "write e.g. `window: 15m`",
                        ));
                    }
                    v
                }
                None => DEFAULT_WINDOW,
            };
            Spec::Sentry {
                org,
                project,
                window,
            }
        }
        Kind::Uptimerobot => Spec::Uptimerobot,
        Kind::Betterstack => Spec::Betterstack,
        Kind::UptimeKuma => Spec::UptimeKuma {
            slug: required(
                &r.slug,
                "slug",
                &name,
                kind_at,
                "the status page's slug (the last part of its address)",
            )?,
        },
        Kind::Gatus => Spec::Gatus,
        Kind::Healthchecks => Spec::Healthchecks,
        Kind::Pagerduty => pagerduty_spec(&r, &name)?,
        Kind::Loki => Spec::Loki {
            tenant: match &r.tenant {
                Some(t) if t.value.trim().is_empty() || t.value.chars().any(char::is_control) => {
                    return Err(Diagnostic::error(
                        "invalid-field",
                        pos_of(&t.referenced),
                        format!("source `{name}`: tenant must be a non-empty name"),
                    )
                    .with_hint(
                        "the tenant id your Loki expects in X-Scope-OrgID, e.g. `tenant: team-a`",
                    ));
                }
                Some(t) => Some(t.value.trim().to_owned()),
                None => None,
            },
        },
        Kind::Simulated => Spec::Simulated,
    };
    let ignore_alerts = match &r.ignore_alerts {
        Some(list) => list
            .value
            .0
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        None => HEARTBEATS.iter().map(|s| (*s).to_owned()).collect(),
    };
    Ok(SourceConfig {
        name,
        kind,
        interval,
        timeout,
        url,
        credential,
        spec,
        ignore_alerts,
        line,
    })
}

fn pagerduty_spec(r: &RawSource, name: &str) -> Result<Spec, Diagnostic> {
    let ids = |f: &Option<Spanned<OneOrMany>>, what: &str| -> Result<Vec<String>, Diagnostic> {
        let Some(list) = f else {
            return Ok(Vec::new());
        };
        let ids: Vec<String> = list.value.0.iter().map(|s| s.trim().to_owned()).collect();
        match ids
            .iter()
            .find(|id| id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            Some(bad) => Err(err(
                &list.referenced,
                format!("source `{name}`: `{bad}` in {what} is not a PagerDuty id"),
                "PagerDuty ids look like `PXPGF42` (letters and digits): copy them from the web UI's address bar",
            )),
            None => Ok(ids),
        }
    };
    let from = match text(&r.from) {
        Some((f, loc)) => {
            if !f.contains('@') || f.chars().any(|c| c.is_control() || c.is_whitespace()) {
                return Err(err(
                    loc,
                    format!("source `{name}`: `from` must be an e-mail address"),
                    "write your PagerDuty login, e.g. `from: alice@example.com`: acknowledging and notes are made in your name",
                ));
            }
            Some(f.to_owned())
        }
        None => None,
    };
    Ok(Spec::Pagerduty(PagerdutySpec {
        from,
        user_ids: ids(&r.user_ids, "user_ids")?,
        service_ids: ids(&r.service_ids, "service_ids")?,
        team_ids: ids(&r.team_ids, "team_ids")?,
        acknowledge: r.acknowledge.as_ref().is_none_or(|b| b.value),
        mirror_notes: r.mirror_notes.as_ref().is_some_and(|b| b.value),
    }))
}

fn required(
    field: &Option<Spanned<String>>,
    what: &str,
    name: &str,
    kind_at: &Location,
    hint: &str,
) -> Result<String, Diagnostic> {
    match text(field) {
        Some((v, _)) if !v.is_empty() && !v.contains('/') && !v.chars().any(char::is_control) => {
            Ok(v.to_owned())
        }
        Some((_, loc)) => Err(err(
            loc,
            format!("source `{name}`: `{what}` must be a slug without `/`"),
            format!("write {hint}"),
        )),
        None => Err(err(
            kind_at,
            format!("source `{name}` needs `{what}`"),
            format!("add `{what}:` with {hint}"),
        )),
    }
}

fn parse_url(u: &str, loc: &Location, name: &str) -> Result<Url, Diagnostic> {
    let url = Url::parse(u).map_err(|e| {
        err(
            loc,
            format!("source `{name}`: `{u}` is not a URL ({e})"),
            "write a full address such as `https://status.example.com` or `http://127.0.0.1:9090/prometheus`",
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(err(
            loc,
            format!("source `{name}`: the url must be http:// or https:// with a host"),
            "write e.g. `https://status.example.com`",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(err(
            loc,
            format!("source `{name}`: the url must not carry a user name or password"),
            "put the token in an environment variable (`token_env`) or a file (`token_file`)",
        ));
    }
    if url.fragment().is_some() {
        return Err(err(
            loc,
            format!("source `{name}`: the url must not have a `#fragment`"),
            "remove the part from `#`",
        ));
    }
    Ok(url)
}

fn http_spec(r: &RawSource, name: &str) -> Result<Spec, Diagnostic> {
    let expect = match &r.expect_status {
        None => StatusMatch::Success,
        Some(list) => {
            let mut pats = Vec::new();
            for s in &list.value.0 {
                let s = s.trim();
                let pat = if let Some(c) = s.strip_suffix("xx").or_else(|| s.strip_suffix("XX")) {
                    c.parse::<u16>()
                        .ok()
                        .filter(|c| (1..=5).contains(c))
                        .map(StatusPattern::Class)
                } else {
                    s.parse::<u16>()
                        .ok()
                        .filter(|c| (100..=599).contains(c))
                        .map(StatusPattern::Code)
                };
                match pat {
                    Some(p) => pats.push(p),
                    None => {
                        return Err(err(
                            &list.referenced,
                            format!("source `{name}`: `{s}` is not an HTTP status"),
                            "write a code (200), a class (2xx) or a list ([200, 204])",
                        ));
                    }
                }
            }
            if pats.is_empty() {
                StatusMatch::Success
            } else {
                StatusMatch::Any(pats)
            }
        }
    };
    let body_regex = match &r.body_regex {
        Some(re) => Some(regex::Regex::new(&re.value).map_err(|e| {
            err(
                &re.referenced,
                format!(
                    "source `{name}`: body_regex is not a valid regular expression: {}",
                    e.to_string().lines().last().unwrap_or("")
                ),
                "see https://docs.rs/regex for the syntax; for a plain substring use body_contains",
            )
        })?),
        None => None,
    };
    let slow = r
        .slow
        .as_ref()
        .map(|d| duration_of(d, "slow", name))
        .transpose()?;
    Ok(Spec::Http(HttpSpec {
        expect,
        body_contains: r
            .body_contains
            .as_ref()
            .map(|s| s.value.clone())
            .filter(|s| !s.is_empty()),
        body_regex,
        slow,
    }))
}

fn prometheus_spec(r: &RawSource, name: &str) -> Result<Spec, Diagnostic> {
    let Some((expr, qloc)) = text(&r.query) else {
        for (field, loc) in [
            ("threshold", r.threshold.as_ref().map(|s| &s.referenced)),
            ("compare", r.compare.as_ref().map(|s| &s.referenced)),
            ("breach", r.breach.as_ref().map(|s| &s.referenced)),
        ] {
            if let Some(loc) = loc {
                return Err(err(
                    loc,
                    format!("source `{name}`: `{field}` needs a `query`"),
                    "add `query:` with a PromQL expression, or remove the field to watch firing alerts",
                ));
            }
        }
        return Ok(Spec::Prometheus { query: None });
    };
    if expr.is_empty() {
        return Err(err(
            qloc,
            format!("source `{name}`: query is empty"),
            "write a PromQL expression, or remove `query` to watch firing alerts",
        ));
    }
    let Some(threshold) = &r.threshold else {
        return Err(err(
            qloc,
            format!("source `{name}`: a query needs a `threshold`"),
            "add e.g. `threshold: 0.05` (a series above it is down; see `compare` and `breach`)",
        ));
    };
    if !threshold.value.is_finite() {
        return Err(err(
            &threshold.referenced,
            format!("source `{name}`: threshold must be a finite number"),
            "write e.g. `threshold: 0.05`",
        ));
    }
    let compare = match text(&r.compare) {
        None => Compare::Above,
        Some((c, loc)) => match c.to_ascii_lowercase().as_str() {
            "above" | ">" => Compare::Above,
            "below" | "<" => Compare::Below,
            _ => {
                return Err(err(
                    loc,
                    format!("source `{name}`: compare must be `above` or `below`"),
                    "write `compare: above` (bad when the value is above the threshold) or `compare: below`",
                ));
            }
        },
    };
    let breach = match text(&r.breach) {
        None => Health::Down,
        Some((b, loc)) => match b.to_ascii_lowercase().as_str() {
            "down" => Health::Down,
            "degraded" => Health::Degraded,
            _ => {
                return Err(err(
                    loc,
                    format!("source `{name}`: breach must be `down` or `degraded`"),
                    "write `breach: degraded` to show a breach in yellow rather than red",
                ));
            }
        },
    };
    Ok(Spec::Prometheus {
        query: Some(QuerySpec {
            expr: expr.to_owned(),
            threshold: threshold.value,
            compare,
            breach,
        }),
    })
}
#[cfg(test)]
mod tests;
