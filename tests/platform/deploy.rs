//! The deployment files in `deploy/` stay in step with the services the binary
//! knows (`renkei_gateway::SERVICES`): every service has its Kubernetes
//! manifests and its compose container, the gateway is told where every other
//! service is, and nothing is left behind for a service that is gone.
//!
//! These tests read files only; they need neither Docker nor a cluster.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

use renkei_gateway::SERVICES;
use serde_yaml::Value;

/// Files in `deploy/k8s` that belong to no single service.
const SHARED_K8S_FILES: &[&str] = &[
    "namespace.yaml",
    "configmap.yaml",
    "secret.yaml",
    "kustomization.yaml",
];

/// The port every service listens on inside a container.
const HTTP_PORT: u64 = 8080;

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn k8s_dir() -> PathBuf {
    workspace_root().join("deploy").join("k8s")
}

fn compose_file() -> PathBuf {
    workspace_root().join("deploy").join("compose.yaml")
}

/// The path as it reads in a message: relative to the workspace root.
fn shown(path: &Path) -> String {
    let root = workspace_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", shown(path)))
}

/// Every non-empty YAML document of a file, in order.
fn yaml_documents(path: &Path) -> Vec<Value> {
    let text = read(path);
    serde_yaml::Deserializer::from_str(&text)
        .enumerate()
        .map(|(i, document)| {
            // For a `Value` this is exactly `Value::deserialize(document)`; it
            // is a plain function, so serde's `Deserialize` trait (the root
            // package has no direct serde dependency) need not be in scope.
            serde_yaml::with::singleton_map::deserialize::<Value, _>(document).unwrap_or_else(|e| {
                panic!("{}: document {} is not valid YAML: {e}", shown(path), i + 1)
            })
        })
        .filter(|document| !document.is_null())
        .collect()
}

/// The one document of a single-document file.
fn yaml_document(path: &Path) -> Value {
    let mut documents = yaml_documents(path);
    assert_eq!(
        documents.len(),
        1,
        "{} should hold exactly one YAML document, it holds {}",
        shown(path),
        documents.len()
    );
    documents.remove(0)
}

/// Every `*.yaml` / `*.yml` file directly in `deploy/k8s`, sorted.
fn k8s_files() -> Vec<PathBuf> {
    let dir = k8s_dir();
    let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", shown(&dir)));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| {
            entry
                .unwrap_or_else(|e| panic!("cannot list {}: {e}", shown(&dir)))
                .path()
        })
        .filter(|path| {
            path.is_file()
                && matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("yaml" | "yml")
                )
        })
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn kind_of(document: &Value) -> &str {
    document["kind"].as_str().unwrap_or("")
}

fn name_of(document: &Value) -> &str {
    document["metadata"]["name"].as_str().unwrap_or("")
}

/// A scalar as text (compose allows numbers and booleans in `environment`).
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_sequence()
        .map(|items| items.iter().filter_map(scalar).collect())
        .unwrap_or_default()
}

/// The Deployment and the Service of one service, from `deploy/k8s/<service>.yaml`,
/// after checking there is exactly one of each and that both are named
/// `renkei-<service>`.
fn kubernetes_manifests(service: &str) -> (PathBuf, Value, Value) {
    let path = k8s_dir().join(format!("{service}.yaml"));
    assert!(
        path.is_file(),
        "{} is missing: service `{service}` is in renkei_gateway::SERVICES, so it needs a \
         Deployment and a Service named renkei-{service} in Kubernetes",
        shown(&path)
    );
    let documents = yaml_documents(&path);
    let expected_name = format!("renkei-{service}");
    let one_of = |kind: &str| -> Value {
        let found: Vec<&Value> = documents.iter().filter(|d| kind_of(d) == kind).collect();
        assert_eq!(
            found.len(),
            1,
            "{} should hold exactly one {kind}, it holds {}",
            shown(&path),
            found.len()
        );
        let document = found[0];
        assert_eq!(
            name_of(document),
            expected_name,
            "{}: the {kind} should be named {expected_name}",
            shown(&path)
        );
        document.clone()
    };
    let deployment = one_of("Deployment");
    let k8s_service = one_of("Service");
    (path, deployment, k8s_service)
}

/// The container that runs the service: the one named after it, else the first.
fn main_container<'a>(path: &Path, deployment: &'a Value, service: &str) -> &'a Value {
    let containers = deployment["spec"]["template"]["spec"]["containers"]
        .as_sequence()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| panic!("{}: the Deployment has no containers", shown(path)));
    containers
        .iter()
        .find(|c| c["name"].as_str() == Some(service))
        .unwrap_or(&containers[0])
}

/// The port number an HTTP probe targets, resolving a named port through the
/// container's `ports`.
fn probe_port(container: &Value, probe: &Value) -> Option<u64> {
    let port = &probe["httpGet"]["port"];
    if let Some(number) = port.as_u64() {
        return Some(number);
    }
    let name = port.as_str()?;
    container["ports"]
        .as_sequence()?
        .iter()
        .find(|p| p["name"].as_str() == Some(name))?["containerPort"]
        .as_u64()
}

fn assert_http_probe(path: &Path, container: &Value, probe_kind: &str, expected_path: &str) {
    let probe = &container[probe_kind];
    assert!(
        !probe.is_null(),
        "{}: the container has no {probe_kind}",
        shown(path)
    );
    assert_eq!(
        probe["httpGet"]["path"].as_str(),
        Some(expected_path),
        "{}: the {probe_kind} should GET {expected_path}",
        shown(path)
    );
    assert_eq!(
        probe_port(container, probe),
        Some(HTTP_PORT),
        "{}: the {probe_kind} should target port {HTTP_PORT} (by number or by the name of that container port)",
        shown(path)
    );
}

/// `KEY=VALUE` pairs of a compose `environment`, written as a map or a list.
fn compose_environment(
    path: &Path,
    service: &str,
    environment: &Value,
) -> BTreeMap<String, String> {
    match environment {
        Value::Null => BTreeMap::new(),
        Value::Mapping(map) => map
            .iter()
            .filter_map(|(k, v)| Some((scalar(k)?, scalar(v).unwrap_or_default())))
            .collect(),
        Value::Sequence(items) => items
            .iter()
            .filter_map(scalar)
            .map(|item| match item.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (item, String::new()),
            })
            .collect(),
        other => panic!(
            "{}: services.{service}.environment should be a map or a list, not {other:?}",
            shown(path)
        ),
    }
}

/// A compose `command` as words, whether written as a string or a list.
fn command_words(command: &Value) -> Vec<String> {
    match command {
        Value::String(line) => line.split_whitespace().map(str::to_string).collect(),
        other => strings(other),
    }
}

fn upstream_variable(service: &str) -> String {
    format!(
        "RENKEI__GATEWAY__UPSTREAMS__{}",
        service.to_ascii_uppercase().replace('-', "_")
    )
}

/// Every service but the gateway, which the gateway forwards to.
fn upstream_services() -> Vec<&'static str> {
    assert!(
        SERVICES.contains(&"gateway"),
        "renkei_gateway::SERVICES should list `gateway` itself"
    );
    SERVICES
        .iter()
        .copied()
        .filter(|s| *s != "gateway")
        .collect()
}

#[test]
fn every_service_has_a_deployment_and_a_service_in_kubernetes() {
    for service in SERVICES {
        let (path, deployment, k8s_service) = kubernetes_manifests(service);
        let file = shown(&path);
        let container = main_container(&path, &deployment, service);

        assert_eq!(
            strings(&container["args"]),
            ["serve", service],
            "{file}: the container's args should be [\"serve\", \"{service}\"]"
        );

        let ports = container["ports"]
            .as_sequence()
            .cloned()
            .unwrap_or_default();
        assert!(
            ports.iter().any(|p| {
                p["name"].as_str() == Some("http") && p["containerPort"].as_u64() == Some(HTTP_PORT)
            }),
            "{file}: the container should declare port {HTTP_PORT} named `http`"
        );
        assert_http_probe(&path, container, "livenessProbe", "/healthz");
        assert_http_probe(&path, container, "readinessProbe", "/readyz");

        let env_from = container["envFrom"]
            .as_sequence()
            .cloned()
            .unwrap_or_default();
        let config_maps: Vec<&str> = env_from
            .iter()
            .filter_map(|e| e["configMapRef"]["name"].as_str())
            .collect();
        let secrets: Vec<&str> = env_from
            .iter()
            .filter_map(|e| e["secretRef"]["name"].as_str())
            .collect();
        assert!(
            config_maps.contains(&"renkei-config"),
            "{file}: the container's envFrom should reference the ConfigMap renkei-config"
        );
        assert!(
            secrets.contains(&"renkei-secrets"),
            "{file}: the container's envFrom should reference the Secret renkei-secrets"
        );

        let pod_labels = &deployment["spec"]["template"]["metadata"]["labels"];
        let expected_name = format!("renkei-{service}");
        assert_eq!(
            pod_labels["app.kubernetes.io/name"].as_str(),
            Some(expected_name.as_str()),
            "{file}: the pod template should carry the label app.kubernetes.io/name: {expected_name}"
        );
        for (what, selector) in [
            (
                "the Deployment's spec.selector.matchLabels",
                &deployment["spec"]["selector"]["matchLabels"],
            ),
            (
                "the Service's spec.selector",
                &k8s_service["spec"]["selector"],
            ),
        ] {
            let selector = selector
                .as_mapping()
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| panic!("{file}: {what} is missing or empty"));
            for (key, value) in selector {
                let key = scalar(key).unwrap_or_default();
                assert_eq!(
                    &pod_labels[key.as_str()],
                    value,
                    "{file}: {what} asks for label {key}={value:?}, which the Deployment's pods do not carry"
                );
            }
        }

        let service_ports = k8s_service["spec"]["ports"]
            .as_sequence()
            .cloned()
            .unwrap_or_default();
        assert!(
            service_ports
                .iter()
                .any(|p| p["port"].as_u64() == Some(HTTP_PORT)),
            "{file}: the Service should expose port {HTTP_PORT} (the gateway's upstream URLs use it)"
        );
    }
}

#[test]
fn every_kubernetes_file_parses_and_the_kustomization_lists_exactly_the_files_there() {
    let dir = k8s_dir();
    let mut on_disk = BTreeSet::new();
    for path in k8s_files() {
        let documents = yaml_documents(&path);
        assert!(
            !documents.is_empty(),
            "{} holds no YAML document",
            shown(&path)
        );
        for (i, document) in documents.iter().enumerate() {
            assert!(
                document["apiVersion"]
                    .as_str()
                    .is_some_and(|s| !s.is_empty())
                    && !kind_of(document).is_empty(),
                "{}: document {} has no apiVersion or no kind",
                shown(&path),
                i + 1
            );
        }
        on_disk.insert(file_name(&path));
    }

    let kustomization_path = dir.join("kustomization.yaml");
    assert!(
        kustomization_path.is_file(),
        "{} is missing",
        shown(&kustomization_path)
    );
    let kustomization = yaml_document(&kustomization_path);
    let listed = strings(&kustomization["resources"]);
    let file = shown(&kustomization_path);

    let mut seen = BTreeSet::new();
    for resource in &listed {
        assert!(
            seen.insert(resource.as_str()),
            "{file} lists {resource} twice under resources"
        );
        assert!(
            dir.join(resource).exists(),
            "{file} lists {resource} under resources, but {} does not exist",
            shown(&dir.join(resource))
        );
    }
    let missing: Vec<&String> = on_disk
        .iter()
        .filter(|f| f.as_str() != "kustomization.yaml" && !seen.contains(f.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{file} does not list {missing:?} under resources: `kubectl apply -k` would skip them"
    );
    assert!(
        !seen.contains("kustomization.yaml"),
        "{file} must not list itself under resources"
    );
}

#[test]
fn compose_runs_every_service_next_to_postgres_and_kafka() {
    let path = compose_file();
    let file = shown(&path);
    let compose = yaml_document(&path);
    let services = compose["services"]
        .as_mapping()
        .unwrap_or_else(|| panic!("{file} has no `services` map"));

    for service in SERVICES {
        let entry = &compose["services"][*service];
        assert!(
            !entry.is_null(),
            "{file} has no container `{service}`: every service in renkei_gateway::SERVICES \
             runs in its own container"
        );
        assert_eq!(
            command_words(&entry["command"]),
            ["serve", service],
            "{file}: services.{service}.command should be `serve {service}`"
        );
    }
    for required in ["postgres", "kafka"] {
        assert!(
            !compose["services"][required].is_null(),
            "{file} has no `{required}` container"
        );
    }
    assert!(
        compose["services"]["postgres"]["image"]
            .as_str()
            .is_some_and(|image| image.starts_with("postgres:")),
        "{file}: services.postgres.image should be a postgres image"
    );

    // And no container serves something the binary does not know.
    for (name, entry) in services {
        let name = scalar(name).unwrap_or_default();
        let words = command_words(&entry["command"]);
        if words.first().map(String::as_str) == Some("serve") {
            let served = words.get(1).map(String::as_str).unwrap_or("");
            assert!(
                SERVICES.contains(&served),
                "{file}: services.{name} runs `serve {served}`, which renkei_gateway::SERVICES \
                 does not know: remove the container or add the service"
            );
            assert_eq!(
                name, served,
                "{file}: the container that runs `serve {served}` should be named `{served}`"
            );
        }
    }
}

#[test]
fn no_kubernetes_manifest_is_left_for_a_service_the_binary_does_not_know() {
    for path in k8s_files() {
        let file = shown(&path);
        let name = file_name(&path);
        if SHARED_K8S_FILES.contains(&name.as_str()) {
            continue;
        }
        let stem = name.trim_end_matches(".yaml").trim_end_matches(".yml");
        assert!(
            SERVICES.contains(&stem),
            "{file} is named after `{stem}`, which renkei_gateway::SERVICES does not know: \
             remove the file (and its line in kustomization.yaml), or, if it is shared by \
             all services, add it to SHARED_K8S_FILES in tests/platform/deploy.rs"
        );
    }
    for path in k8s_files() {
        let file = shown(&path);
        for document in yaml_documents(&path) {
            let kind = kind_of(&document);
            if !matches!(kind, "Deployment" | "Service") {
                continue;
            }
            let name = name_of(&document);
            let service = name.strip_prefix("renkei-").unwrap_or(name);
            assert!(
                SERVICES.contains(&service),
                "{file}: {kind} {name} is for `{service}`, which renkei_gateway::SERVICES does \
                 not know: remove its manifests"
            );
            assert_eq!(
                file_name(&path),
                format!("{service}.yaml"),
                "{file}: {kind} {name} belongs in deploy/k8s/{service}.yaml"
            );
        }
    }
}

#[test]
fn the_gateway_is_told_where_every_other_service_is_in_kubernetes_and_compose() {
    let expected: BTreeSet<String> = upstream_services()
        .iter()
        .map(|s| upstream_variable(s))
        .collect();

    // Kubernetes: `env` of the gateway's container.
    let (path, deployment, _) = kubernetes_manifests("gateway");
    let file = shown(&path);
    let container = main_container(&path, &deployment, "gateway");
    let k8s_env: BTreeMap<String, String> = container["env"]
        .as_sequence()
        .map(|vars| {
            vars.iter()
                .filter_map(|v| {
                    Some((
                        v["name"].as_str()?.to_string(),
                        scalar(&v["value"]).unwrap_or_default(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    check_upstreams(&file, &expected, &k8s_env, |service| {
        format!("http://renkei-{service}:{HTTP_PORT}")
    });

    // Compose: `environment` of the gateway container.
    let path = compose_file();
    let file = shown(&path);
    let compose = yaml_document(&path);
    let gateway = &compose["services"]["gateway"];
    assert!(!gateway.is_null(), "{file} has no `gateway` container");
    let compose_env = compose_environment(&path, "gateway", &gateway["environment"]);
    check_upstreams(&file, &expected, &compose_env, |service| {
        format!("http://{service}:{HTTP_PORT}")
    });
}

fn check_upstreams(
    file: &str,
    expected: &BTreeSet<String>,
    env: &BTreeMap<String, String>,
    url_of: impl Fn(&str) -> String,
) {
    let present: BTreeSet<String> = env
        .keys()
        .filter(|k| k.starts_with("RENKEI__GATEWAY__UPSTREAMS__"))
        .cloned()
        .collect();
    let missing: Vec<&String> = expected.difference(&present).collect();
    let unknown: Vec<&String> = present.difference(expected).collect();
    assert!(
        missing.is_empty(),
        "{file}: the gateway has no upstream for {missing:?}: it could not forward /api/<service>/… there"
    );
    assert!(
        unknown.is_empty(),
        "{file}: the gateway has upstreams {unknown:?} for services that are not in \
         renkei_gateway::SERVICES, or for the gateway itself"
    );
    for service in upstream_services() {
        let variable = upstream_variable(service);
        let want = url_of(service);
        assert_eq!(
            env.get(&variable).map(String::as_str),
            Some(want.as_str()),
            "{file}: the gateway's {variable} should be {want}"
        );
    }
}
