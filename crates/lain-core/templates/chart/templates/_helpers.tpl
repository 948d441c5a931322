{{- /*
Helpers shared by every template of the lain chart.

This chart is written into your app by `lain init` and refreshed by `lain init --template-only`;
edit chart/values.yaml rather than these files, or your edits are lost on the next refresh.

Naming contract (lain's other commands rely on it):
  - workloads, Services, HPAs:  RELEASE-PROC      (RELEASE = releaseName, default appname)
  - Jobs: RELEASE-JOB, CronJobs: RELEASE-CRON, helm test Pods: RELEASE-test-NAME
  - Secrets managed by `lain env` / `lain secret`: APPNAME-env, APPNAME-secret (keyed by appname,
    so a second release of the same app reuses them)
Every pod carries app.kubernetes.io/name, app.kubernetes.io/instance, lain.io/proc, lain.io/kind
and app.kubernetes.io/managed-by; a proc's selector is instance + proc. A blue/green color release
(blueGreen injected) labels its objects with the main release's instance plus lain.io/color.

Most helpers take a "context" dict: root (the chart's top-level `$`), name (proc, job, cronjob or
test name), proc (its values), kind (deployment, statefulset, job, cronjob, test).
*/ -}}

{{- /* The app's name. Secrets, images and labels are keyed by it. */ -}}
{{- define "lain.appname" -}}
{{- required "appname is missing: set `appname: NAME` at the top of chart/values.yaml" .Values.appname -}}
{{- end -}}

{{- /* The helm release name: releaseName when set, else appname. */ -}}
{{- define "lain.release" -}}
{{- .Values.releaseName | default (include "lain.appname" .) -}}
{{- end -}}

{{- /*
The app.kubernetes.io/instance label: the release, except in a blue/green color release
(`lain deploy --blue-green` injects blueGreen: {color, release}): its pods join the main
release's instance, so the main release's Services can select them by adding lain.io/color.
*/ -}}
{{- define "lain.instance" -}}
{{- with .Values.blueGreen -}}
{{- required "blueGreen.release is missing (lain sets it; it names the main release)" .release -}}
{{- else -}}
{{- include "lain.release" . -}}
{{- end -}}
{{- end -}}

{{- /* RELEASE-NAME, for a context dict. */ -}}
{{- define "lain.fullname" -}}
{{- printf "%s-%s" (include "lain.release" .root) .name -}}
{{- end -}}

{{- /*
A scalar as a string. Kubernetes wants strings for env values, labels and annotations, but
YAML reads `PORT: 8000` or `enabled: true` as numbers and booleans; numbers go through JSON so
that 1000000 stays 1000000 (helm holds numbers as floats, which print as 1e+06).
*/ -}}
{{- define "lain.string" -}}
{{- if kindIs "string" . -}}{{- . -}}{{- else -}}{{- toJson . -}}{{- end -}}
{{- end -}}

{{- /* A map as YAML with every value a string; null values are dropped (null deletes a key). */ -}}
{{- define "lain.stringMap" -}}
{{- $out := dict -}}
{{- range $key, $value := . -}}
{{- if not (kindIs "invalid" $value) -}}
{{- $_ := set $out $key (include "lain.string" $value) -}}
{{- end -}}
{{- end -}}
{{- if $out -}}{{- toYaml $out -}}{{- end -}}
{{- end -}}

{{- /*
`include "lain.pick" (list MAP "key1" "key2")`: the listed keys of MAP that are set and not
null, as YAML (empty when none). Lets 0 and false through, which `with` would drop.
*/ -}}
{{- define "lain.pick" -}}
{{- $from := first . | default dict -}}
{{- $out := dict -}}
{{- range $key := rest . -}}
{{- if hasKey $from $key -}}
{{- $value := get $from $key -}}
{{- if not (kindIs "invalid" $value) -}}{{- $_ := set $out $key $value -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- if $out -}}{{- toYaml $out -}}{{- end -}}
{{- end -}}

{{- /*
Labels for an object's metadata. Global `labels`, then the proc's `labels`, then lain's own,
which win: selectors and lain's commands depend on them.
*/ -}}
{{- define "lain.labels" -}}
{{- $root := .root -}}
{{- $labels := dict -}}
{{- range $key, $value := $root.Values.labels | default dict -}}
{{- $_ := set $labels $key $value -}}
{{- end -}}
{{- if .proc -}}
{{- range $key, $value := .proc.labels | default dict -}}
{{- $_ := set $labels $key $value -}}
{{- end -}}
{{- end -}}
{{- $_ := set $labels "app.kubernetes.io/name" (include "lain.appname" $root) -}}
{{- $_ := set $labels "app.kubernetes.io/instance" (include "lain.instance" $root) -}}
{{- with $root.Values.blueGreen -}}
{{- $_ := set $labels "lain.io/color" (required "blueGreen.color is missing" .color) -}}
{{- end -}}
{{- $_ := set $labels "app.kubernetes.io/managed-by" $root.Release.Service -}}
{{- with .name -}}{{- $_ := set $labels "lain.io/proc" . -}}{{- end -}}
{{- with .kind -}}{{- $_ := set $labels "lain.io/kind" . -}}{{- end -}}
{{- include "lain.stringMap" $labels -}}
{{- end -}}

{{- /* The selector of a proc's pods (in a blue/green color release: of that color's pods). */ -}}
{{- define "lain.selectorLabels" -}}
app.kubernetes.io/instance: {{ include "lain.instance" .root }}
lain.io/proc: {{ .name }}
{{- with .root.Values.blueGreen }}
lain.io/color: {{ .color }}
{{- end }}
{{- end -}}

{{- /* Pod annotations: global podAnnotations, then the proc's (the proc wins). */ -}}
{{- define "lain.podAnnotations" -}}
{{- $annotations := dict -}}
{{- range $key, $value := .root.Values.podAnnotations | default dict -}}
{{- $_ := set $annotations $key $value -}}
{{- end -}}
{{- range $key, $value := .proc.podAnnotations | default dict -}}
{{- $_ := set $annotations $key $value -}}
{{- end -}}
{{- include "lain.stringMap" $annotations -}}
{{- end -}}

{{- /*
The image of a proc: `image` (a full reference) wins; else the app's image in the cluster's
registry (internalRegistry, the address nodes pull from, when the cluster has one), tagged with
the proc's `imageTag` pin or the tag lain deploys.
*/ -}}
{{- define "lain.image" -}}
{{- $root := .root -}}
{{- if .proc.image -}}
{{- .proc.image -}}
{{- else -}}
{{- $registry := $root.Values.internalRegistry | default $root.Values.registry -}}
{{- $registry = required "registry is missing: lain sets it from the cluster config (when running helm by hand, pass --set registry=REGISTRY)" $registry -}}
{{- $tag := .proc.imageTag -}}
{{- if not $tag -}}
{{- $tag = required "imageTag is missing: lain sets it to the image it deploys (when running helm by hand, pass --set imageTag=TAG)" $root.Values.imageTag -}}
{{- end -}}
{{- printf "%s/%s:%s" $registry (include "lain.appname" $root) (include "lain.string" $tag) -}}
{{- end -}}
{{- end -}}

{{- /* The port a proc listens on: containerPort, else nodePort; empty when neither is set. */ -}}
{{- define "lain.containerPort" -}}
{{- $port := .containerPort | default .nodePort -}}
{{- if $port -}}{{- $port | int -}}{{- end -}}
{{- end -}}

{{- /*
envFrom: the app's `lain env` Secret first, then the global extraEnvFrom, the proc's, and an init
container's own.
*/ -}}
{{- define "lain.envFrom" -}}
{{- $sources := list (dict "secretRef" (dict "name" (printf "%s-env" (include "lain.appname" .root)) "optional" true)) -}}
{{- $sources = concat $sources (.root.Values.extraEnvFrom | default list) (.proc.extraEnvFrom | default list) -}}
{{- with .container -}}{{- $sources = concat $sources (.envFrom | default list) -}}{{- end -}}
{{- toYaml $sources -}}
{{- end -}}

{{- /*
env: the built-in LAIN_CLUSTER, K8S_NAMESPACE and IMAGE_TAG (test pods: LAIN_RELEASE), then global `env`, then the proc's
`env` (the proc wins), then, for init containers, the container's own env (a map, or a
Kubernetes list of {name, value|valueFrom}). A user value replaces a built-in of the same name,
so no name appears twice (server-side apply rejects duplicate env names).
*/ -}}
{{- define "lain.env" -}}
{{- $root := .root -}}
{{- $vars := dict -}}
{{- range $key, $value := $root.Values.env | default dict -}}
{{- $_ := set $vars $key $value -}}
{{- end -}}
{{- range $key, $value := .proc.env | default dict -}}
{{- $_ := set $vars $key $value -}}
{{- end -}}
{{- $ownList := list -}}
{{- with .container -}}
{{- if kindIs "map" .env -}}
{{- range $key, $value := .env -}}{{- $_ := set $vars $key $value -}}{{- end -}}
{{- else if .env -}}
{{- $ownList = .env -}}
{{- range $ownList -}}{{- $_ := unset $vars .name -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- $ownNames := list -}}
{{- range $ownList -}}{{- $ownNames = append $ownNames .name -}}{{- end -}}
{{- $tag := .proc.imageTag | default $root.Values.imageTag | default "" -}}
{{- $builtins := dict
    "LAIN_CLUSTER" ($root.Values.cluster | default "")
    "K8S_NAMESPACE" ($root.Values.k8s_namespace | default $root.Release.Namespace)
    "IMAGE_TAG" (include "lain.string" $tag) -}}
{{- $names := list "LAIN_CLUSTER" "K8S_NAMESPACE" "IMAGE_TAG" -}}
{{- /* Test pods also get LAIN_RELEASE: in a canary or blue/green release, the Services of the
version under test are LAIN_RELEASE-PROC (http://${LAIN_RELEASE}-web:PORT tests that version). */ -}}
{{- if eq (.kind | default "") "test" -}}
{{- $_ := set $builtins "LAIN_RELEASE" (include "lain.release" $root) -}}
{{- $names = append $names "LAIN_RELEASE" -}}
{{- end -}}
{{- $out := list -}}
{{- range $name := $names -}}
{{- if not (or (hasKey $vars $name) (has $name $ownNames)) -}}
{{- $out = append $out (dict "name" $name "value" (get $builtins $name)) -}}
{{- end -}}
{{- end -}}
{{- range $name, $value := $vars -}}
{{- if not (kindIs "invalid" $value) -}}
{{- $out = append $out (dict "name" $name "value" (include "lain.string" $value)) -}}
{{- end -}}
{{- end -}}
{{- toYaml (concat $out $ownList) -}}
{{- end -}}

{{- /*
volumeMounts of a list: an entry without `name` mounts the app's `lain secret` Secret
(APPNAME-secret), so `{mountPath, subPath}` is enough. A later entry with the same mountPath
replaces an earlier one (a proc's entry replaces a global one), keeping the first one's place.
*/ -}}
{{- define "lain.mountList" -}}
{{- $secret := printf "%s-secret" (include "lain.appname" .root) -}}
{{- $paths := list -}}
{{- $byPath := dict -}}
{{- range .mounts -}}
{{- $mount := deepCopy . -}}
{{- if not $mount.name -}}{{- $_ := set $mount "name" $secret -}}{{- end -}}
{{- $path := required "every volumeMounts entry needs a mountPath" $mount.mountPath -}}
{{- if not (hasKey $byPath $path) -}}{{- $paths = append $paths $path -}}{{- end -}}
{{- $_ := set $byPath $path $mount -}}
{{- end -}}
{{- $out := list -}}
{{- range $paths -}}{{- $out = append $out (get $byPath .) -}}{{- end -}}
{{- if $out -}}{{- toYaml $out -}}{{- end -}}
{{- end -}}

{{- /* volumeMounts of a proc's main container: global volumeMounts, then the proc's. */ -}}
{{- define "lain.volumeMounts" -}}
{{- $mounts := concat (.root.Values.volumeMounts | default list) (.proc.volumeMounts | default list) -}}
{{- include "lain.mountList" (dict "root" .root "mounts" $mounts) -}}
{{- end -}}

{{- /*
A pod's volumes: the `lain secret` Secret (optional, so a pod starts before the first
`lain secret edit`), global `volumes`, the proc's `volumes` (same name: the proc wins), and one
volume per persistentVolumeClaim that a container mounts by name (only those: a ReadWriteOnce
claim attached to every pod would pin them all to one node).
*/ -}}
{{- define "lain.volumes" -}}
{{- $root := .root -}}
{{- $secret := printf "%s-secret" (include "lain.appname" $root) -}}
{{- $names := list $secret -}}
{{- $byName := dict $secret (dict "name" $secret "secret" (dict "secretName" $secret "optional" true)) -}}
{{- range concat ($root.Values.volumes | default list) (.proc.volumes | default list) -}}
{{- $name := required "every volumes entry needs a name" .name -}}
{{- if not (hasKey $byName $name) -}}{{- $names = append $names $name -}}{{- end -}}
{{- $_ := set $byName $name . -}}
{{- end -}}
{{- $mounted := list -}}
{{- range concat ($root.Values.volumeMounts | default list) (.proc.volumeMounts | default list) -}}
{{- with .name -}}{{- $mounted = append $mounted . -}}{{- end -}}
{{- end -}}
{{- range .proc.initContainers | default list -}}
{{- range .volumeMounts | default list -}}
{{- with .name -}}{{- $mounted = append $mounted . -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- range $claim, $_ := $root.Values.persistentVolumeClaims | default dict -}}
{{- if and (has $claim $mounted) (not (hasKey $byName $claim)) -}}
{{- $names = append $names $claim -}}
{{- $claimName := printf "%s-%s" (include "lain.instance" $root) $claim -}}
{{- $_ := set $byName $claim (dict "name" $claim "persistentVolumeClaim" (dict "claimName" $claimName)) -}}
{{- end -}}
{{- end -}}
{{- range $names }}
- name: {{ . }}
  {{- omit (get $byName .) "name" | toYaml | nindent 2 }}
{{- end }}
{{- end -}}

{{- /*
hostAliases: the cluster's (clusterHostAliases), the app's, then the proc's. Entries with the
same ip are merged (Kubernetes keys the list by ip), hostnames de-duplicated, first order kept.
*/ -}}
{{- define "lain.hostAliases" -}}
{{- $root := .root -}}
{{- $all := concat ($root.Values.clusterHostAliases | default list) ($root.Values.hostAliases | default list) (.proc.hostAliases | default list) -}}
{{- $ips := list -}}
{{- $hostnames := dict -}}
{{- range $all -}}
{{- $ip := required "every hostAliases entry needs an ip" .ip -}}
{{- if not (hasKey $hostnames $ip) -}}
{{- $ips = append $ips $ip -}}
{{- $_ := set $hostnames $ip list -}}
{{- end -}}
{{- $_ := set $hostnames $ip (concat (get $hostnames $ip) (.hostnames | default list) | uniq) -}}
{{- end -}}
{{- $out := list -}}
{{- range $ips -}}{{- $out = append $out (dict "ip" . "hostnames" (get $hostnames .)) -}}{{- end -}}
{{- if $out -}}{{- toYaml $out -}}{{- end -}}
{{- end -}}

{{- /* nodeSelector: the global one, then the proc's (the proc wins). */ -}}
{{- define "lain.nodeSelector" -}}
{{- $selector := dict -}}
{{- range $key, $value := .root.Values.nodeSelector | default dict -}}
{{- $_ := set $selector $key $value -}}
{{- end -}}
{{- range $key, $value := .proc.nodeSelector | default dict -}}
{{- $_ := set $selector $key $value -}}
{{- end -}}
{{- include "lain.stringMap" $selector -}}
{{- end -}}

{{- /*
affinity: the proc's own (Kubernetes Affinity), plus `nodes` as a required node affinity on
kubernetes.io/hostname. nodeSelectorTerms are alternatives, so the nodes condition is added to
each of them (nodes AND the user's terms) rather than as one more alternative.
*/ -}}
{{- define "lain.affinity" -}}
{{- $affinity := deepCopy (.affinity | default dict) -}}
{{- with .nodes -}}
{{- $nodes := dict "key" "kubernetes.io/hostname" "operator" "In" "values" . -}}
{{- $nodeAffinity := get $affinity "nodeAffinity" | default dict -}}
{{- $required := get $nodeAffinity "requiredDuringSchedulingIgnoredDuringExecution" | default dict -}}
{{- $terms := list -}}
{{- range get $required "nodeSelectorTerms" | default list -}}
{{- $terms = append $terms (set . "matchExpressions" (append (.matchExpressions | default list) $nodes)) -}}
{{- end -}}
{{- if not $terms -}}{{- $terms = list (dict "matchExpressions" (list $nodes)) -}}{{- end -}}
{{- $_ := set $required "nodeSelectorTerms" $terms -}}
{{- $_ := set $nodeAffinity "requiredDuringSchedulingIgnoredDuringExecution" $required -}}
{{- $_ := set $affinity "nodeAffinity" $nodeAffinity -}}
{{- end -}}
{{- if $affinity -}}{{- toYaml $affinity -}}{{- end -}}
{{- end -}}

{{- /* imagePullSecrets: names of Secrets (a name, or Kubernetes' {name: ...}). */ -}}
{{- define "lain.imagePullSecrets" -}}
{{- $out := list -}}
{{- range .Values.imagePullSecrets | default list -}}
{{- if kindIs "string" . -}}
{{- $out = append $out (dict "name" .) -}}
{{- else -}}
{{- $out = append $out . -}}
{{- end -}}
{{- end -}}
{{- if $out -}}{{- toYaml $out -}}{{- end -}}
{{- end -}}

{{- /*
initContainers: Kubernetes containers written by the user, completed like the main container:
the app's image when they name none, envFrom and env as above, and the global volumeMounts
before their own (same rules: no name means the `lain secret` volume). Printed name first.
*/ -}}
{{- define "lain.initContainers" -}}
{{- $ctx := . -}}
{{- range .proc.initContainers | default list }}
{{- $container := deepCopy . }}
{{- $name := required "every initContainers entry needs a name" $container.name }}
{{- if not $container.image }}{{ $_ := set $container "image" (include "lain.image" $ctx) }}{{ end }}
{{- $own := dict "root" $ctx.root "proc" $ctx.proc "container" . }}
{{- $_ := set $container "envFrom" (include "lain.envFrom" $own | fromYamlArray) }}
{{- $_ := set $container "env" (include "lain.env" $own | fromYamlArray) }}
{{- $mounts := concat ($ctx.root.Values.volumeMounts | default list) (.volumeMounts | default list) }}
{{- with include "lain.mountList" (dict "root" $ctx.root "mounts" $mounts) }}
{{- $_ := set $container "volumeMounts" (fromYamlArray .) }}
{{- end }}
- name: {{ $name }}
  {{- omit $container "name" | toYaml | nindent 2 }}
{{- end }}
{{- end -}}

{{- /* The main container of a proc, job, cronjob or test. */ -}}
{{- define "lain.container" -}}
{{- $proc := .proc -}}
name: {{ .name }}
image: {{ include "lain.image" . | toYaml }}
{{- with $proc.imagePullPolicy }}
imagePullPolicy: {{ . }}
{{- end }}
{{- with $proc.command }}
command:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $proc.args }}
args:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $proc.workingDir }}
workingDir: {{ toYaml . }}
{{- end }}
{{- with include "lain.containerPort" $proc }}
ports:
  - containerPort: {{ . }}
    protocol: TCP
{{- end }}
envFrom:
  {{- include "lain.envFrom" . | nindent 2 }}
env:
  {{- include "lain.env" . | nindent 2 }}
{{- with $proc.resources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- range $probe := list "startupProbe" "readinessProbe" "livenessProbe" "lifecycle" "securityContext" }}
{{- with get $proc $probe }}
{{ $probe }}:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
{{- with include "lain.volumeMounts" . }}
volumeMounts:
  {{- . | nindent 2 }}
{{- end }}
{{- end -}}

{{- /*
A pod spec. The context may carry restartPolicy (Never for jobs and tests). Service links are
off: lain apps share namespaces, and one env var per Service of the namespace (FOO_PORT, ...)
only adds noise and can overflow a process's environment; call other apps by Service name.
*/ -}}
{{- define "lain.podSpec" -}}
{{- $root := .root -}}
{{- $proc := .proc -}}
{{- with $root.Values.serviceAccountName }}
serviceAccountName: {{ toYaml . }}
{{- end }}
{{- with .restartPolicy }}
restartPolicy: {{ . }}
{{- end }}
enableServiceLinks: false
{{- with include "lain.pick" (list $proc "terminationGracePeriodSeconds") }}
{{ . }}
{{- end }}
{{- with $proc.podSecurityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with include "lain.nodeSelector" . }}
nodeSelector:
  {{- . | nindent 2 }}
{{- end }}
{{- with include "lain.affinity" $proc }}
affinity:
  {{- . | nindent 2 }}
{{- end }}
{{- with concat ($root.Values.tolerations | default list) ($proc.tolerations | default list) }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with include "lain.imagePullSecrets" $root }}
imagePullSecrets:
  {{- . | nindent 2 }}
{{- end }}
{{- with include "lain.hostAliases" . }}
hostAliases:
  {{- . | nindent 2 }}
{{- end }}
{{- with include "lain.initContainers" . | trim }}
initContainers:
  {{- . | nindent 2 }}
{{- end }}
containers:
  - {{ include "lain.container" . | indent 4 | trim }}
volumes:
  {{- include "lain.volumes" . | trim | nindent 2 }}
{{- end -}}

{{- /* A pod template (metadata + spec), for workloads, jobs and cronjobs. */ -}}
{{- define "lain.podTemplate" -}}
metadata:
  labels:
    {{- include "lain.labels" . | nindent 4 }}
  {{- with include "lain.podAnnotations" . }}
  annotations:
    {{- . | nindent 4 }}
  {{- end }}
spec:
  {{- include "lain.podSpec" . | trim | nindent 2 }}
{{- end -}}
