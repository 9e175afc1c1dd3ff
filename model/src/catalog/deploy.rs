//! Deploy actions.

use super::spec::{action, ActionTypeSpec, PropertySpec as P, BOOL};
use crate::pipeline::{ActionCategory::Deploy, ActionOwner};

const AWS: ActionOwner = ActionOwner::Aws;

pub(super) const S3: ActionTypeSpec = action(
    Deploy,
    AWS,
    "S3",
    "Copy (or extract) the input artifact into an S3 bucket",
    (1, 1),
    (0, 0),
    &[
        P::required("BucketName", "Target bucket"),
        P::required("Extract", "Unzip the artifact before upload").one_of(BOOL),
        P::optional("ObjectKey", "Object key (required when Extract is false); may use {datetime} and {uuid}"),
        P::optional("KMSEncryptionKeyARN", "KMS key for the uploaded objects"),
        P::optional("CannedACL", "Canned ACL").one_of(&[
            "private",
            "public-read",
            "public-read-write",
            "aws-exec-read",
            "authenticated-read",
            "bucket-owner-read",
            "bucket-owner-full-control",
            "log-delivery-write",
        ]),
        P::optional("CacheControl", "Cache-Control header"),
    ],
    &[],
);

/// Modes of the CloudFormation action; which other keys are required depends on it.
pub(crate) const CLOUD_FORMATION_MODES: &[&str] =
    &["CREATE_UPDATE", "DELETE_ONLY", "REPLACE_ON_FAILURE", "CHANGE_SET_REPLACE", "CHANGE_SET_EXECUTE"];

pub(super) const CLOUD_FORMATION: ActionTypeSpec = action(
    Deploy,
    AWS,
    "CloudFormation",
    "Create, update or delete a stack, or manage change sets",
    (0, 10),
    (0, 1),
    &[
        P::required("ActionMode", "What to do with the stack").one_of(CLOUD_FORMATION_MODES),
        P::required("StackName", "Stack name"),
        P::optional("ChangeSetName", "Change set (CHANGE_SET_* modes)"),
        P::optional("RoleArn", "Role CloudFormation assumes (all modes but CHANGE_SET_EXECUTE)"),
        P::optional("TemplatePath", "Artifact::file of the template"),
        P::optional("TemplateConfiguration", "Artifact::file of a configuration"),
        P::optional("Capabilities", "Comma-separated CAPABILITY_* values"),
        P::optional("ParameterOverrides", "JSON object of parameter values"),
        P::optional("OutputFileName", "File for stack outputs in the output artifact"),
    ],
    &[],
);

/// Keys shared by the two StackSets actions.
const STACK_SET_OPERATION: [P; 6] = [
    P::optional("FailureTolerancePercentage", "Failure tolerance (%)"),
    P::optional("FailureToleranceCount", "Failure tolerance (count)"),
    P::optional("MaxConcurrentPercentage", "Concurrency (%)"),
    P::optional("MaxConcurrentCount", "Concurrency (count)"),
    P::optional("RegionConcurrencyType", "SEQUENTIAL or PARALLEL").one_of(&["SEQUENTIAL", "PARALLEL"]),
    P::optional("ConcurrencyMode", "STRICT_FAILURE_TOLERANCE or SOFT_FAILURE_TOLERANCE"),
];

pub(super) const CLOUD_FORMATION_STACK_SET: ActionTypeSpec = action(
    Deploy,
    AWS,
    "CloudFormationStackSet",
    "Create or update a StackSet and its instances",
    (1, 10),
    (0, 0),
    &[
        P::required("StackSetName", "StackSet name"),
        P::required("TemplatePath", "Artifact::file of the template"),
        P::optional("Description", "StackSet description"),
        P::optional("Parameters", "Parameter list or Artifact::file"),
        P::optional("Capabilities", "Comma-separated CAPABILITY_* values"),
        P::optional("PermissionModel", "SELF_MANAGED or SERVICE_MANAGED").one_of(&["SELF_MANAGED", "SERVICE_MANAGED"]),
        P::optional("OrganizationsAutoDeployment", "Auto-deploy to new accounts"),
        P::optional("AdministrationRoleArn", "Administration role"),
        P::optional("ExecutionRoleName", "Execution role name"),
        P::optional("DeploymentTargets", "Accounts or OU ids, or Artifact::file"),
        P::optional("Regions", "Comma-separated regions"),
        STACK_SET_OPERATION[0],
        STACK_SET_OPERATION[1],
        STACK_SET_OPERATION[2],
        STACK_SET_OPERATION[3],
        STACK_SET_OPERATION[4],
        STACK_SET_OPERATION[5],
    ],
    &[],
);

pub(super) const CLOUD_FORMATION_STACK_INSTANCES: ActionTypeSpec = action(
    Deploy,
    AWS,
    "CloudFormationStackInstances",
    "Deploy a StackSet's changes to more accounts or regions",
    (0, 10),
    (0, 0),
    &[
        P::required("StackSetName", "StackSet name"),
        P::required("DeploymentTargets", "Accounts or OU ids, or Artifact::file"),
        P::required("Regions", "Comma-separated regions"),
        P::optional("ParameterOverrides", "Parameter overrides or Artifact::file"),
        STACK_SET_OPERATION[0],
        STACK_SET_OPERATION[1],
        STACK_SET_OPERATION[2],
        STACK_SET_OPERATION[3],
        STACK_SET_OPERATION[4],
        STACK_SET_OPERATION[5],
    ],
    &[],
);

pub(super) const CODE_DEPLOY: ActionTypeSpec = action(
    Deploy,
    AWS,
    "CodeDeploy",
    "Deploy a revision with CodeDeploy (EC2/on-premises)",
    (1, 1),
    (0, 0),
    &[P::required("ApplicationName", "CodeDeploy application"), P::required("DeploymentGroupName", "Deployment group")],
    &[],
);

pub(super) const CODE_DEPLOY_TO_ECS: ActionTypeSpec = action(
    Deploy,
    AWS,
    "CodeDeployToECS",
    "Blue/green ECS deployment through CodeDeploy",
    (1, 5),
    (0, 0),
    &[
        P::required("ApplicationName", "CodeDeploy application"),
        P::required("DeploymentGroupName", "Deployment group"),
        P::required("TaskDefinitionTemplateArtifact", "Artifact holding taskdef.json"),
        P::required("AppSpecTemplateArtifact", "Artifact holding appspec.yaml"),
        P::optional("TaskDefinitionTemplatePath", "Path of the task definition file"),
        P::optional("AppSpecTemplatePath", "Path of the AppSpec file"),
        P::optional("Image1ArtifactName", "Artifact with the first image"),
        P::optional("Image1ContainerName", "Placeholder for the first image"),
        P::optional("Image2ArtifactName", "Artifact with the second image"),
        P::optional("Image2ContainerName", "Placeholder for the second image"),
        P::optional("Image3ArtifactName", "Artifact with the third image"),
        P::optional("Image3ContainerName", "Placeholder for the third image"),
        P::optional("Image4ArtifactName", "Artifact with the fourth image"),
        P::optional("Image4ContainerName", "Placeholder for the fourth image"),
    ],
    &[],
);

pub(super) const ECS: ActionTypeSpec = action(
    Deploy,
    AWS,
    "ECS",
    "Rolling update of an ECS service from imagedefinitions.json",
    (1, 1),
    (0, 0),
    &[
        P::required("ClusterName", "ECS cluster"),
        P::required("ServiceName", "ECS service"),
        P::optional("FileName", "Image definitions file (default imagedefinitions.json)"),
        P::optional("DeploymentTimeout", "Minutes to wait"),
    ],
    &[],
);

pub(super) const ELASTIC_BEANSTALK: ActionTypeSpec = action(
    Deploy,
    AWS,
    "ElasticBeanstalk",
    "Deploy to an Elastic Beanstalk environment",
    (1, 1),
    (0, 0),
    &[P::required("ApplicationName", "Beanstalk application"), P::required("EnvironmentName", "Beanstalk environment")],
    &[],
);

pub(super) const OPS_WORKS: ActionTypeSpec = action(
    Deploy,
    AWS,
    "OpsWorks",
    "Deploy an OpsWorks app",
    (1, 1),
    (0, 0),
    &[
        P::required("Stack", "OpsWorks stack id"),
        P::required("App", "OpsWorks app id"),
        P::optional("Layer", "OpsWorks layer id"),
    ],
    &[],
);

pub(super) const SERVICE_CATALOG: ActionTypeSpec = action(
    Deploy,
    AWS,
    "ServiceCatalog",
    "Publish a Service Catalog product version",
    (1, 1),
    (0, 0),
    &[
        P::required("ProductId", "Product id"),
        P::optional("TemplateFilePath", "Template in the input artifact"),
        P::optional("ConfigurationFilePath", "Configuration file in the input artifact"),
        P::optional("ProductVersionName", "Version name"),
        P::optional("ProductVersionDescription", "Version description"),
        P::optional("ProductType", "CLOUD_FORMATION_TEMPLATE"),
    ],
    &[],
);

pub(super) const ALEXA_SKILLS_KIT: ActionTypeSpec = action(
    Deploy,
    ActionOwner::ThirdParty,
    "AlexaSkillsKit",
    "Deploy an Alexa skill",
    (1, 2),
    (0, 0),
    &[
        P::required("ClientId", "Login with Amazon client id"),
        P::required("ClientSecret", "Login with Amazon client secret").secret(),
        P::required("RefreshToken", "Refresh token").secret(),
        P::required("SkillId", "Skill id"),
    ],
    &[],
);

pub(super) const EC2: ActionTypeSpec = action(
    Deploy,
    AWS,
    "EC2",
    "Deploy to tagged EC2 instances or SSM nodes (V2)",
    (1, 1),
    (0, 0),
    &[
        P::required("InstanceTagKey", "Tag key of the target instances"),
        P::required("InstanceType", "EC2 or SSM_MANAGED_NODE").one_of(&["EC2", "SSM_MANAGED_NODE"]),
        P::optional("InstanceTagValue", "Tag value (default: any)"),
        P::optional("TargetDirectory", "Where to put the files"),
        P::optional("DeploySpec", "Deploy spec file in the artifact"),
        P::optional("PreScript", "Script run before the copy"),
        P::optional("PostScript", "Script run after the copy"),
        P::optional("MaxBatch", "Instances deployed in parallel"),
        P::optional("MaxError", "Failures tolerated"),
        P::optional("TargetGroupNameList", "ELB target groups"),
    ],
    &[],
);

pub(super) const EKS: ActionTypeSpec = action(
    Deploy,
    AWS,
    "EKS",
    "Deploy manifests or a Helm chart to EKS (V2)",
    (0, 1),
    (0, 0),
    &[
        P::required("ClusterName", "EKS cluster"),
        P::optional("HelmReleaseName", "Helm release (Helm only)"),
        P::optional("HelmChartLocation", "Helm chart (Helm only)"),
        P::optional("HelmValuesFiles", "Comma-separated values files"),
        P::optional("ManifestFiles", "Manifest files (kubectl only)"),
        P::optional("Namespace", "Kubernetes namespace"),
        P::optional("SubnetIds", "Subnets for a private cluster"),
        P::optional("SecurityGroupIds", "Security groups for a private cluster"),
    ],
    &["EKSClusterName"],
);

pub(super) const LAMBDA: ActionTypeSpec = action(
    Deploy,
    AWS,
    "Lambda",
    "Deploy a Lambda function version with traffic shifting (V2)",
    (0, 1),
    (0, 0),
    &[
        P::required("FunctionName", "Function name"),
        P::optional("FunctionAlias", "Alias to shift"),
        P::optional("PublishedTargetVersion", "Version to deploy (required without an input artifact)"),
        P::optional("DeployStrategy", "AllAtOnce, CanaryNPercentMMinutes or LinearNPercentEveryMMinutes"),
        P::optional("Alarms", "Comma-separated alarm names"),
    ],
    &[],
);

pub(super) const APP_CONFIG: ActionTypeSpec = action(
    Deploy,
    AWS,
    "AppConfig",
    "Deploy configuration data with AppConfig",
    (1, 1),
    (0, 0),
    &[
        P::required("Application", "AppConfig application id"),
        P::required("Environment", "AppConfig environment id"),
        P::required("ConfigurationProfile", "Configuration profile id"),
        P::required("InputArtifactConfigurationPath", "File in the input artifact"),
        P::optional("DeploymentStrategy", "Deployment strategy id"),
    ],
    &[],
);
