//! A small command-line parser: `--flag`, `--key value`, `--key=value`, repeated keys.

use std::collections::HashMap;
use std::str::FromStr;

/// Parsed options of one subcommand.
pub struct Args {
    values: HashMap<String, Vec<String>>,
    flags: Vec<String>,
    pub positional: Vec<String>,
}

impl Args {
    /// Parses `argv` (without the program and subcommand). `flags` lists the options that take
    /// no value; `keys` those that take one.
    pub fn parse(argv: &[String], flags: &[&str], keys: &[&str]) -> Result<Args, String> {
        let mut a = Args {
            values: HashMap::new(),
            flags: Vec::new(),
            positional: Vec::new(),
        };
        let mut i = 0;
        while i < argv.len() {
            let arg = &argv[i];
            if let Some(name) = arg.strip_prefix("--") {
                let (name, inline) = match name.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (name, None),
                };
                if flags.contains(&name) {
                    if inline.is_some() {
                        return Err(format!("option --{name} takes no value"));
                    }
                    a.flags.push(name.to_string());
                } else if keys.contains(&name) {
                    let v = match inline {
                        Some(v) => v,
                        None => {
                            i += 1;
                            argv.get(i)
                                .cloned()
                                .ok_or_else(|| format!("option --{name} needs a value"))?
                        }
                    };
                    a.values.entry(name.to_string()).or_default().push(v);
                } else {
                    return Err(format!("unknown option --{name}"));
                }
            } else {
                a.positional.push(arg.clone());
            }
            i += 1;
        }
        Ok(a)
    }

    /// Whether a flag was given.
    pub fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }

    /// Every value given for a key.
    pub fn all(&self, name: &str) -> &[String] {
        self.values.get(name).map(|v| v.as_slice()).unwrap_or(&[])
    }

    /// The last value of a key.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .and_then(|v| v.last())
            .map(|s| s.as_str())
    }

    /// The last value of a key, parsed, or a default.
    pub fn parse_or<T: FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("option --{name}: cannot parse {v:?}")),
        }
    }
}
