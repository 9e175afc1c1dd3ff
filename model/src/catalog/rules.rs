//! Rule types usable in stage conditions (all category Rule, owner AWS, version 1).

use super::spec::PropertySpec as P;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleTypeSpec {
    pub provider: &'static str,
    pub version: &'static str,
    pub description: &'static str,
    pub input_artifacts: (u8, u8),
    pub properties: &'static [P],
    /// Whether the rule runs the declaration's `commands` (the Commands rule).
    pub uses_commands: bool,
    /// Whether Sluice evaluates this rule itself; the others fail when they run.
    pub runs_locally: bool,
}

const fn rule(
    provider: &'static str,
    description: &'static str,
    input_artifacts: (u8, u8),
    properties: &'static [P],
) -> RuleTypeSpec {
    RuleTypeSpec {
        provider,
        version: "1",
        description,
        input_artifacts,
        properties,
        uses_commands: false,
        runs_locally: false,
    }
}

const fn runs_locally(spec: RuleTypeSpec) -> RuleTypeSpec {
    RuleTypeSpec { runs_locally: true, ..spec }
}

static RULE_TYPES: &[RuleTypeSpec] = &[
    rule(
        "CloudWatchAlarm",
        "Fail when a CloudWatch alarm is in one of the given states",
        (0, 0),
        &[
            P::required("AlarmName", "Alarm to watch"),
            P::optional("AlarmStates", "Comma-separated states (default ALARM)"),
            P::optional("WaitTime", "Minutes to watch"),
        ],
    ),
    rule(
        "CodeBuild",
        "Run a CodeBuild project as a check",
        (0, 5),
        &[
            P::required("ProjectName", "CodeBuild project"),
            P::optional("PrimarySource", "Primary input artifact"),
            P::optional("BatchEnabled", "Batch build"),
            P::optional("CombineArtifacts", "Combine batch artifacts"),
            P::optional("EnvironmentVariables", "JSON array of {name, value, type}"),
        ],
    ),
    runs_locally(RuleTypeSpec {
        uses_commands: true,
        ..rule("Commands", "Run shell commands as a check", (0, 10), &[])
    }),
    runs_locally(rule(
        "DeploymentWindow",
        "Pass only inside a cron-defined window",
        (0, 0),
        &[P::required("Cron", "Cron expression of the window"), P::optional("TimeZone", "Time zone (default UTC)")],
    )),
    rule(
        "LambdaInvoke",
        "Invoke a Lambda function as a check",
        (0, 5),
        &[
            P::required("FunctionName", "Function to invoke"),
            P::optional("UserParameters", "String passed to the function"),
        ],
    ),
    runs_locally(rule(
        "VariableCheck",
        "Compare a pipeline variable with a value",
        (0, 0),
        &[
            P::required("Variable", "Variable reference, e.g. #{SourceVariables.BranchName}"),
            P::required("Value", "Value to compare with"),
            P::required("Operator", "Comparison").one_of(&["EQ", "NE", "GT", "GE", "LT", "LE", "CONTAINS", "MATCHES"]),
        ],
    )),
];

/// Every rule type available to stage conditions.
pub fn rule_types() -> &'static [RuleTypeSpec] {
    RULE_TYPES
}

/// The rule type with this provider and version, if catalogued.
pub fn find_rule_type(provider: &str, version: &str) -> Option<&'static RuleTypeSpec> {
    RULE_TYPES.iter().find(|r| r.provider == provider && r.version == version)
}
