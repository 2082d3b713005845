// SPDX-License-Identifier: GPL-2.0

//! A KTAP parser (Documentation/dev-tools/ktap.rst) that counts test cases.
//!
//! KUnit suites and the guest tests both report in KTAP. A result line whose
//! test had subtests is a summary: the subtests are counted instead. A
//! failed summary none of whose subtests failed (a suite whose init failed,
//! a crashed test) counts as one failure of its own. A plan that promises
//! more results than arrived counts the missing ones as failures.

/// The outcome of one counted test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `ok`.
    Pass,
    /// `not ok`.
    Fail,
    /// `ok ... # SKIP` (or `not ok ... # SKIP`).
    Skip,
}

/// One counted test: its path (`suite.case`) and outcome.
#[derive(Debug, Clone)]
pub struct Case {
    /// The names of the enclosing tests and this one, joined with `.`.
    pub name: String,
    /// What happened.
    pub outcome: Outcome,
}

/// The result of parsing one KTAP document.
#[derive(Debug, Default)]
pub struct Report {
    /// Every counted test, in order.
    pub cases: Vec<Case>,
}

impl Report {
    /// Counts the outcomes: (passed, failed, skipped).
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |o: Outcome| self.cases.iter().filter(|c| c.outcome == o).count();
        (n(Outcome::Pass), n(Outcome::Fail), n(Outcome::Skip))
    }
}

/// One nesting level being parsed.
struct Level {
    indent: usize,
    name: Option<String>,
    plan: Option<usize>,
    results: usize,
    /// Index in `cases` where this level's results start.
    first_case: usize,
}

/// Strips a printk timestamp (`[    1.234567] `) if the line has one.
fn strip_timestamp(line: &str) -> &str {
    if let Some(rest) = line.strip_prefix('[') {
        if let Some(end) = rest.find("] ") {
            let ts = &rest[..end];
            if ts.chars().all(|c| c == ' ' || c == '.' || c.is_ascii_digit()) {
                return &rest[end + 2..];
            }
        }
    }
    line
}

/// Parses a result line: (ok, number, description, directive).
fn parse_result(line: &str) -> Option<(bool, String, Option<String>)> {
    let (ok, rest) = if let Some(r) = line.strip_prefix("ok ") {
        (true, r)
    } else if let Some(r) = line.strip_prefix("not ok ") {
        (false, r)
    } else {
        return None;
    };
    let (num, desc) = rest.split_once(' ').unwrap_or((rest, ""));
    num.parse::<u64>().ok()?;
    let (desc, directive) = match desc.split_once(" # ") {
        Some((d, dir)) => (d, Some(dir.trim().to_owned())),
        None => match desc.strip_prefix("# ") {
            Some(dir) => ("", Some(dir.trim().to_owned())),
            None => (desc, None),
        },
    };
    let desc = desc.trim().trim_start_matches("- ").to_owned();
    Some((ok, desc, directive))
}

/// Parses a KTAP document. `prefix` names the document in the case names.
pub fn parse(text: &str, prefix: &str) -> Report {
    let mut report = Report::default();
    // levels[0] is the document's top level.
    let mut levels: Vec<Level> = vec![Level {
        indent: 0,
        name: None,
        plan: None,
        results: 0,
        first_case: 0,
    }];
    let mut pending_subtest: Option<String> = None;

    for raw in text.lines() {
        let line = strip_timestamp(raw.trim_end_matches('\r'));
        let indent = line.len() - line.trim_start().len();
        let body = line.trim_start();

        if let Some(name) = body.strip_prefix("# Subtest: ") {
            pending_subtest = Some(name.trim().to_owned());
            // A subtest header names the level its `KTAP version` line
            // opened, or opens a deeper one itself.
            if let Some(l) = levels
                .last_mut()
                .filter(|l| l.indent == indent && l.name.is_none() && l.results == 0)
            {
                if indent > 0 {
                    l.name = pending_subtest.take();
                    continue;
                }
            }
            if indent > levels.last().map_or(0, |l| l.indent) || levels.len() == 1 {
                levels.push(Level {
                    indent,
                    name: pending_subtest.clone(),
                    plan: None,
                    results: 0,
                    first_case: report.cases.len(),
                });
            }
            continue;
        }
        if body.starts_with("KTAP version") || body.starts_with("TAP version") {
            if indent > levels.last().map_or(0, |l| l.indent) {
                levels.push(Level {
                    indent,
                    name: pending_subtest.take(),
                    plan: None,
                    results: 0,
                    first_case: report.cases.len(),
                });
            }
            continue;
        }
        if let Some(plan) = body.strip_prefix("1..") {
            if let Some(l) = levels.iter_mut().rev().find(|l| l.indent <= indent) {
                if l.indent == indent {
                    l.plan = plan.trim().parse().ok();
                } else {
                    // A plan deeper than any level: an unannounced subtest.
                    levels.push(Level {
                        indent,
                        name: None,
                        plan: plan.trim().parse().ok(),
                        results: 0,
                        first_case: report.cases.len(),
                    });
                }
            }
            continue;
        }
        let Some((ok, desc, directive)) = parse_result(body) else {
            continue;
        };
        // Close deeper levels: they were this result's subtests.
        let mut had_children = false;
        let mut child_failed = false;
        while levels.len() > 1 && levels.last().is_some_and(|l| l.indent > indent) {
            if let Some(l) = levels.pop() {
                had_children = true;
                if let Some(plan) = l.plan {
                    for i in l.results..plan {
                        report.cases.push(Case {
                            name: format!("{prefix}.{desc}.missing-{}", i + 1),
                            outcome: Outcome::Fail,
                        });
                    }
                }
                child_failed |= report.cases[l.first_case..]
                    .iter()
                    .any(|c| c.outcome == Outcome::Fail);
            }
        }
        let path: Vec<String> = levels
            .iter()
            .filter(|l| l.indent <= indent)
            .filter_map(|l| l.name.clone())
            .chain(std::iter::once(desc.clone()))
            .collect();
        let name = format!("{prefix}.{}", path.join("."));
        if let Some(l) = levels.last_mut() {
            l.results += 1;
        }
        let skip = directive
            .as_deref()
            .is_some_and(|d| d.to_ascii_uppercase().starts_with("SKIP"));
        if had_children {
            if !ok && !skip && !child_failed {
                report.cases.push(Case {
                    name,
                    outcome: Outcome::Fail,
                });
            }
        } else {
            let outcome = match (ok, skip) {
                (_, true) => Outcome::Skip,
                (true, false) => Outcome::Pass,
                (false, false) => Outcome::Fail,
            };
            report.cases.push(Case { name, outcome });
        }
    }
    // Levels never closed by a result line: count missing planned results.
    while let Some(l) = levels.pop() {
        if let Some(plan) = l.plan {
            for i in l.results..plan {
                report.cases.push(Case {
                    name: format!(
                        "{prefix}.{}.missing-{}",
                        l.name.as_deref().unwrap_or("top"),
                        i + 1
                    ),
                    outcome: Outcome::Fail,
                });
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    const KUNIT: &str = "\
KTAP version 1
1..2
    KTAP version 1
    # Subtest: alpha
    # module: m
    1..3
    ok 1 a1
    not ok 2 a2
    ok 3 a3 # SKIP not here
# alpha: pass:1 fail:1 skip:1 total:3
not ok 1 alpha
    KTAP version 1
    # Subtest: beta
    1..1
        KTAP version 1
        # Subtest: param
        ok 1 p=1
        ok 2 p=2
    ok 1 param
ok 2 beta
";

    #[test]
    fn counts_leaves() {
        let r = parse(KUNIT, "k");
        assert_eq!(r.counts(), (3, 1, 1), "{:?}", r.cases);
        assert_eq!(r.cases[1].name, "k.alpha.a2");
        assert_eq!(r.cases[3].name, "k.beta.param.p=1");
    }

    #[test]
    fn failed_parent_without_failed_child_counts() {
        let t = "KTAP version 1\n1..1\n    # Subtest: s\n    1..1\nnot ok 1 s\n";
        let r = parse(t, "x");
        // The planned subtest never reported, and the suite failed.
        assert_eq!(r.counts().1, 1, "{:?}", r.cases);
    }

    #[test]
    fn missing_results_fail() {
        let t = "KTAP version 1\n1..3\nok 1 a\n";
        let r = parse(t, "g");
        assert_eq!(r.counts(), (1, 2, 0));
    }

    #[test]
    fn timestamps_are_stripped() {
        let t = "[    1.000000] KTAP version 1\n[    1.1] 1..1\n[    1.2] ok 1 - t # SKIP x\n";
        let r = parse(t, "g");
        assert_eq!(r.counts(), (0, 0, 1));
        assert_eq!(r.cases[0].name, "g.t");
    }
}
