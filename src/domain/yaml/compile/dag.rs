//! Stage layout of steps: sequential (one stage per step) or, as soon as one step sets
//! `depends_on`, Kahn levels with upstream's error messages.

use super::CompileError;
use crate::domain::yaml::model::Dependency;

/// A step that survived its `when`, in YAML order.
pub struct DagStep<'a> {
    pub name: &'a str,
    pub depends_on: Option<&'a [Dependency]>,
}

/// Group step indexes into stages. `all_names` are every step name in the YAML, to tell
/// filtered-out dependencies from unknown ones.
pub fn layout(steps: &[DagStep], all_names: &[&str]) -> Result<Vec<Vec<usize>>, CompileError> {
    if steps.iter().all(|s| s.depends_on.is_none()) {
        return Ok((0..steps.len()).map(|i| vec![i]).collect());
    }
    for (i, s) in steps.iter().enumerate() {
        if steps[..i].iter().any(|o| o.name == s.name) {
            return Err(CompileError(format!(
                "step name '{}' is used more than once, step names must be unique to be referenced by 'depends_on'",
                s.name
            )));
        }
    }
    let index_of = |name: &str| steps.iter().position(|s| s.name == name);
    let mut deps: Vec<Vec<usize>> = Vec::with_capacity(steps.len());
    for s in steps {
        let mut own = Vec::new();
        for d in s.depends_on.unwrap_or_default() {
            match index_of(&d.name) {
                Some(i) => own.push(i),
                None if d.optional => {}
                None if all_names.contains(&d.name.as_str()) => {
                    return Err(CompileError(format!(
                        "step '{}' depends on step '{}' which is filtered out by its conditions",
                        s.name, d.name
                    )));
                }
                None => {
                    return Err(CompileError(format!(
                        "step '{}' depends on unknown step '{}'",
                        s.name, d.name
                    )));
                }
            }
        }
        deps.push(own);
    }
    let mut placed = vec![false; steps.len()];
    let mut stages = Vec::new();
    while placed.iter().any(|p| !p) {
        let level: Vec<usize> =
            (0..steps.len()).filter(|&i| !placed[i] && deps[i].iter().all(|&d| placed[d])).collect();
        if level.is_empty() {
            let cycle = find_cycle(&deps, &placed);
            let names: Vec<&str> = cycle.iter().map(|&i| steps[i].name).collect();
            return Err(CompileError(format!("cycle detected: [{}]", names.join(" "))));
        }
        for &i in &level {
            placed[i] = true;
        }
        stages.push(level);
    }
    Ok(stages)
}

/// A dependency cycle among unplaced steps, starting from the first such step in YAML order.
fn find_cycle(deps: &[Vec<usize>], placed: &[bool]) -> Vec<usize> {
    let start = (0..deps.len()).find(|&i| !placed[i]).unwrap_or(0);
    let mut path = vec![start];
    let mut current = start;
    loop {
        let Some(&next) = deps[current].iter().find(|&&d| !placed[d]) else { return path };
        if let Some(at) = path.iter().position(|&p| p == next) {
            return path[at..].to_vec();
        }
        path.push(next);
        current = next;
    }
}
