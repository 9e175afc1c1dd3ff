//! Build, test and compute actions.

use super::spec::{action, ActionTypeSpec, PropertySpec as P, BOOL};
use crate::pipeline::{ActionCategory, ActionOwner::Aws};

/// CodeBuild serves both Build and Test with the same keys.
const CODE_BUILD_PROPERTIES: &[P] = &[
    P::required("ProjectName", "CodeBuild project name"),
    P::optional("PrimarySource", "Input artifact used as the primary source (required with more than one input)"),
    P::optional("BatchEnabled", "Run a batch build").one_of(BOOL),
    P::optional("CombineArtifacts", "Combine batch artifacts into one").one_of(BOOL),
    P::optional("EnvironmentVariables", "JSON array of {name, value, type}"),
];

pub(super) const CODE_BUILD: ActionTypeSpec = action(
    ActionCategory::Build,
    Aws,
    "CodeBuild",
    "Run a CodeBuild project",
    (1, 5),
    (0, 5),
    CODE_BUILD_PROPERTIES,
    &[],
);

pub(super) const CODE_BUILD_TEST: ActionTypeSpec =
    ActionTypeSpec { category: ActionCategory::Test, description: "Run a CodeBuild project as a test", ..CODE_BUILD };

pub(super) const ECR_BUILD_AND_PUBLISH: ActionTypeSpec = action(
    ActionCategory::Build,
    Aws,
    "ECRBuildAndPublish",
    "Build a Dockerfile and push the image to ECR (V2)",
    (1, 1),
    (0, 0),
    &[
        P::required("ECRRepositoryName", "Target ECR repository"),
        P::optional("DockerFilePath", "Directory of the Dockerfile (default: root)"),
        P::optional("ImageTags", "Comma-separated tags (default latest)"),
        P::optional("RegistryType", "private (default) or public").one_of(&["private", "public"]),
    ],
    &["ECRImageDigestId", "ECRRepositoryName"],
);

pub(super) const DEVICE_FARM: ActionTypeSpec = action(
    ActionCategory::Test,
    Aws,
    "DeviceFarm",
    "Test an app on Device Farm devices",
    (1, 1),
    (0, 0),
    &[
        P::required("AppType", "iOS, Android or Web").one_of(&["iOS", "Android", "Web"]),
        P::required("ProjectId", "Device Farm project id"),
        P::required("App", "Application file in the input artifact"),
        P::required("DevicePoolArn", "Device pool ARN"),
        P::required("TestType", "Test framework, e.g. APPIUM_NODE"),
        P::optional("TestSpec", "Test spec file (custom mode)"),
        P::optional("Test", "Test package file"),
        P::optional("RadioBluetoothEnabled", "Bluetooth on").one_of(BOOL),
        P::optional("RadioWifiEnabled", "Wi-Fi on").one_of(BOOL),
        P::optional("RadioNfcEnabled", "NFC on").one_of(BOOL),
        P::optional("RadioGpsEnabled", "GPS on").one_of(BOOL),
        P::optional("RecordAppPerformanceData", "Record performance data").one_of(BOOL),
        P::optional("RecordVideo", "Record video").one_of(BOOL),
        P::optional("FuzzEventCount", "Fuzz events"),
        P::optional("FuzzEventThrottle", "Fuzz throttle (ms)"),
        P::optional("FuzzRandomizerSeed", "Fuzz seed"),
        P::optional("CustomHostMachineArtifacts", "Host artifact location"),
        P::optional("CustomDeviceArtifacts", "Device artifact location"),
        P::optional("UnmeteredDevicesOnly", "Use unmetered devices").one_of(BOOL),
        P::optional("JobTimeoutMinutes", "Per-device timeout"),
        P::optional("Latitude", "Device latitude"),
        P::optional("Longitude", "Device longitude"),
    ],
    &[],
);

pub(super) const COMMANDS: ActionTypeSpec = action(
    ActionCategory::Compute,
    Aws,
    "Commands",
    "Run shell commands on managed compute (V2; uses `commands`, not configuration)",
    (1, 10),
    (0, 1),
    &[],
    &[],
);
