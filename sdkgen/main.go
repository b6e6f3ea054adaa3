// Command sdkgen writes the Python, Go and Node.js SDKs of a Pulumi package from its schema, in-process
// with the code generators of github.com/pulumi/pulumi/pkg/v3 (the old language hosts that
// scripts/install-langhosts.sh builds cannot generate SDKs: `pulumi package gen-sdk` answers
// "GeneratePackage not implemented" with them).
//
//	go run . -schema schema.json -python out/python -go out/go -nodejs out/nodejs
//
// Each given output folder is emptied first and then holds exactly the generated files, written in
// sorted order with fixed permissions, so two runs on the same schema give byte-identical trees.
//
// The schema should set "meta": {"supportPack": true}: then the package version is written into
// package.json, pyproject.toml and each pulumi-plugin.json, and the Go SDK gets its own go.mod (module
// path: importBasePath without its last element). See testdata/toy-schema.json.
//
// What the generators write is changed in three ways, so that each SDK installs the way its users'
// tools install a folder or an archive (see installableNodePackage and installablePythonPackage):
//   - Node.js: package.json names the build (bin/) as its main and types, publishes only bin/, and its
//     build script copies package.json into bin/ (the generated getVersion reads ./package.json beside
//     the compiled code), so `npm install <folder>` and `npm pack` of the folder give a package that
//     loads;
//   - Python: the package README (the one the generator writes into the module folder) is also at the
//     root, where pyproject.toml's `readme` names it, and the build backend is flit_core, which builds
//     wheels and sdists without writing build/ or *.egg-info into the source folder (setuptools does);
//   - Go: go.mod requires the Pulumi Go SDK at -go-pulumi-sdk. Its go.sum and the rest of its
//     requirements come from `go mod tidy`, which scripts/gen-sdk.sh runs after this program.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"golang.org/x/mod/modfile"
)

// defaultGoPulumiSDK is the github.com/pulumi/pulumi/sdk/v3 version the Go SDK's go.mod requires. The
// generator writes v3.269.0, which does not build from this machine's module proxy (it needs a
// github.com/pulumi/pulumi-cloud-sdk/go version the proxy refuses); v3.274.1 matches the CLI that
// scripts/install-pulumi.sh builds and is in the module cache already.
const defaultGoPulumiSDK = "v3.274.1"

// tool is the name the generators write into the "do not edit" header of each file.
const tool = "pulumi-dovecot-sdkgen"

// noDependencies is the schema loader handed to the binder and the generators. The schemas this tool
// serves reference no other package, so any request for one is an error instead of a plugin download.
type noDependencies struct{}

func (noDependencies) LoadPackage(pkg string, version *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("sdkgen: the schema references package %q, which this tool cannot load", pkg)
}

func (l noDependencies) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return l.LoadPackage(d.Name, d.Version)
}

func (l noDependencies) LoadPackageReference(pkg string, version *semver.Version) (schema.PackageReference, error) {
	_, err := l.LoadPackage(pkg, version)
	return nil, err
}

func (l noDependencies) LoadPackageReferenceV2(
	_ context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return l.LoadPackageReference(d.Name, d.Version)
}

func main() {
	schemaPath := flag.String("schema", "", "path of the package schema (JSON)")
	version := flag.String("version", "", "package version to write into the SDKs (default: the schema's \"version\")")
	pyOut := flag.String("python", "", "output folder of the Python SDK (skipped when empty)")
	goOut := flag.String("go", "", "output folder of the Go SDK (skipped when empty)")
	nodeOut := flag.String("nodejs", "", "output folder of the Node.js SDK (skipped when empty)")
	goSDK := flag.String("go-pulumi-sdk", defaultGoPulumiSDK,
		"version of github.com/pulumi/pulumi/sdk/v3 that the Go SDK's go.mod requires (empty: the generator's own)")
	flag.Parse()
	if *schemaPath == "" || flag.NArg() != 0 || (*pyOut == "" && *goOut == "" && *nodeOut == "") {
		fmt.Fprintln(os.Stderr, "usage: sdkgen -schema schema.json [-version X.Y.Z] [-python DIR] [-go DIR] [-nodejs DIR]"+
			" [-go-pulumi-sdk vX.Y.Z]")
		os.Exit(2)
	}
	if err := run(*schemaPath, *version, *pyOut, *goOut, *nodeOut, *goSDK); err != nil {
		fmt.Fprintln(os.Stderr, "sdkgen:", err)
		os.Exit(1)
	}
}

func run(schemaPath, version, pyOut, goOut, nodeOut, goSDK string) error {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	// Each generator records its language's options in the bound package, so each gets its own.
	bind := func() (*schema.Package, error) {
		var spec schema.PackageSpec
		if err := json.Unmarshal(raw, &spec); err != nil {
			return nil, fmt.Errorf("%s: %w", schemaPath, err)
		}
		if version != "" {
			spec.Version = version
		}
		if spec.Version == "" {
			return nil, errors.New("the schema has no \"version\" and -version was not given")
		}
		pkg, diags, err := schema.BindSpec(spec, noDependencies{}, schema.ValidationOptions{})
		if err != nil {
			return nil, err
		}
		if diags.HasErrors() {
			return nil, fmt.Errorf("%s: %s", schemaPath, diags.Error())
		}
		return pkg, nil
	}
	generators := []struct {
		name, out string
		gen       func(*schema.Package) (map[string][]byte, error)
	}{
		{"python", pyOut, func(p *schema.Package) (map[string][]byte, error) {
			files, err := python.GeneratePackage(tool, p, nil, noDependencies{})
			if err == nil {
				err = installablePythonPackage(files)
			}
			if err == nil {
				err = clearPythonArgumentErrors(files)
			}
			return files, err
		}},
		{"go", goOut, func(p *schema.Package) (map[string][]byte, error) {
			files, err := gogen.GeneratePackage(tool, p, nil)
			if err == nil && goSDK != "" {
				err = requirePulumiSDK(files, goSDK)
			}
			return files, err
		}},
		{"nodejs", nodeOut, func(p *schema.Package) (map[string][]byte, error) {
			files, err := nodejs.GeneratePackage(tool, p, nil, nil, false, noDependencies{})
			if err == nil {
				err = installableNodePackage(files)
			}
			if err == nil {
				err = secretEnvironmentDefaults(files)
			}
			return files, err
		}},
	}
	for _, g := range generators {
		if g.out == "" {
			continue
		}
		pkg, err := bind()
		if err != nil {
			return err
		}
		files, err := g.gen(pkg)
		if err != nil {
			return fmt.Errorf("generating the %s SDK: %w", g.name, err)
		}
		if err := writeTree(g.out, files); err != nil {
			return fmt.Errorf("writing the %s SDK: %w", g.name, err)
		}
		fmt.Fprintf(os.Stderr, "sdkgen: %s SDK: %d files in %s\n", g.name, len(files), g.out)
	}
	return nil
}

// requirePulumiSDK sets the github.com/pulumi/pulumi/sdk/v3 requirement of the generated go.mod (written
// only for schemas with "meta": {"supportPack": true}) to version.
func requirePulumiSDK(files map[string][]byte, version string) error {
	raw, ok := files["go.mod"]
	if !ok {
		return nil
	}
	mod, err := modfile.Parse("go.mod", raw, nil)
	if err != nil {
		return err
	}
	if err := mod.AddRequire("github.com/pulumi/pulumi/sdk/v3", version); err != nil {
		return err
	}
	out, err := mod.Format()
	if err != nil {
		return err
	}
	files["go.mod"] = out
	return nil
}

// nodeBuildScript compiles the SDK into bin/ and puts package.json beside the compiled code, where the
// generated getVersion() (utilities.ts: require('./package.json')) reads the package version.
const nodeBuildScript = `tsc && node -e "require('fs').copyFileSync('package.json', 'bin/package.json')"`

// installableNodePackage makes the generated package.json describe the compiled package: main and types
// in bin/ (tsconfig.json's outDir), only bin/ published (the folder's .gitignore, which npm pack would
// otherwise apply, leaves bin/ out), and a build script that leaves bin/ complete. The generator's own
// keys keep their order; the new ones come after "license".
func installableNodePackage(files map[string][]byte) error {
	raw, ok := files["package.json"]
	if !ok {
		return errors.New("the Node.js generator wrote no package.json")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return fmt.Errorf("package.json: %w", err)
	}
	var order []string
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if _, err := dec.Token(); err != nil { // {
		return fmt.Errorf("package.json: %w", err)
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return fmt.Errorf("package.json: %w", err)
		}
		order = append(order, key.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return fmt.Errorf("package.json: %w", err)
		}
	}
	for _, key := range []string{"main", "types", "files"} {
		if _, ok := fields[key]; ok {
			return fmt.Errorf("package.json: the generator now writes %q itself; revisit installableNodePackage", key)
		}
	}
	var scripts map[string]string
	if err := json.Unmarshal(fields["scripts"], &scripts); err != nil || scripts["build"] != "tsc" {
		return fmt.Errorf("package.json: expected the generator's scripts {\"build\": \"tsc\"}, got %s", fields["scripts"])
	}
	added := map[string]any{
		"main":  "bin/index.js",
		"types": "bin/index.d.ts",
		"files": []string{"bin/"},
	}
	scripts["build"] = nodeBuildScript
	var out strings.Builder
	out.WriteString("{")
	// No HTML escaping: the build script's "&&" stays as it is.
	marshal := func(value any) ([]byte, error) {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		err := enc.Encode(value)
		return bytes.TrimSuffix(b.Bytes(), []byte("\n")), err
	}
	write := func(key string, value any) error {
		k, err := marshal(key)
		if err != nil {
			return err
		}
		v, err := marshal(value)
		if err != nil {
			return err
		}
		if out.Len() > 1 {
			out.WriteString(",")
		}
		out.Write(k)
		out.WriteString(":")
		out.Write(v)
		return nil
	}
	for _, key := range order {
		value := any(fields[key])
		if key == "scripts" {
			value = scripts
		}
		if err := write(key, value); err != nil {
			return err
		}
		if key == "license" {
			for _, extra := range []string{"main", "types", "files"} {
				if err := write(extra, added[extra]); err != nil {
					return err
				}
			}
		}
	}
	if _, ok := fields["license"]; !ok {
		return errors.New("package.json: no \"license\" to place main, types and files after")
	}
	out.WriteString("}")
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, []byte(out.String()), "", "    "); err != nil {
		return err
	}
	pretty.WriteString("\n")
	files["package.json"] = pretty.Bytes()
	return nil
}

// The build system the Python generator writes, and the one that replaces it. setuptools builds in the
// source folder: `pip install ./sdk/python` leaves build/ and pulumi_dovecot.egg-info there. flit_core
// builds the wheel and the sdist straight from the sources and the [project] table, and takes every
// file of the package folder (py.typed and pulumi-plugin.json too, which setuptools needed listed).
const (
	setuptoolsBuildSystem = "[build-system]\n  requires = [\"setuptools>=61.0\"]\n  build-backend = \"setuptools.build_meta\"\n"
	setuptoolsPackageData = "[tool]\n  [tool.setuptools]\n    [tool.setuptools.package-data]\n"
	flitBuildSystem       = "[build-system]\n  requires = [\"flit_core>=3.9,<4\"]\n  build-backend = \"flit_core.buildapi\"\n"
)

// installablePythonPackage switches the generated pyproject.toml to flit_core and puts the package
// README (written into the module folder) at the root too, where pyproject.toml's readme names it.
func installablePythonPackage(files map[string][]byte) error {
	raw, ok := files["pyproject.toml"]
	if !ok {
		return errors.New("the Python generator wrote no pyproject.toml (set language.python.pyproject.enabled)")
	}
	text := string(raw)
	if !strings.Contains(text, "\n  readme = \"README.md\"\n") {
		return errors.New("pyproject.toml: expected readme = \"README.md\"; revisit installablePythonPackage")
	}
	at := strings.Index(text, setuptoolsBuildSystem)
	tool := strings.Index(text, setuptoolsPackageData)
	if at < 0 || tool < at {
		return fmt.Errorf("pyproject.toml: expected the generator's setuptools [build-system] and then its [tool.setuptools] package data; revisit installablePythonPackage:\n%s", text)
	}
	// The [tool] table is the file's last: only setuptools' package data is in it.
	if rest := text[tool+len(setuptoolsPackageData):]; strings.Contains(rest, "\n[") || strings.Contains(rest, "\n  [") {
		return fmt.Errorf("pyproject.toml: [tool] holds more than setuptools' package data:\n%s", rest)
	}
	text = strings.TrimRight(text[:at]+flitBuildSystem+"\n"+text[at+len(setuptoolsBuildSystem):tool], "\n") + "\n"
	files["pyproject.toml"] = []byte(text)

	var readme []byte
	for name, content := range files {
		if path.Dir(name) != "." && path.Base(name) == "README.md" && !strings.Contains(path.Dir(name), "/") {
			if readme != nil {
				return errors.New("the Python generator wrote more than one package README")
			}
			readme = content
		}
	}
	if readme == nil {
		return errors.New("the Python generator wrote no <package>/README.md")
	}
	files["README.md"] = readme
	return nil
}

// The end of the generated get_resource_args_opts (in <package>/_utilities.py), which sorts a resource
// constructor's positional arguments into its Args object and its ResourceOptions.
const pythonArgsOptsEnd = "    # If opts is None, look it up in kwargs.\n    if opts is None:\n        opts = kwargs.get(\"opts\")\n\n    return resource_args, opts\n"

// What it checks before returning: a dict or a bare value where the inputs go (Mailbox("m", {...}))
// otherwise fails deep in the SDK, with a traceback ending in "Expected opts2 to be a ResourceOptions
// instance"; it is refused here with what to pass instead, naming the resource.
const pythonArgsOptsChecks = `    # If opts is None, look it up in kwargs.
    if opts is None:
        opts = kwargs.get("opts")

    # pulumi-dovecot: anything else where the inputs or the options go is refused here, with what to
    # pass, rather than deep in the SDK ("Expected opts2 to be a ResourceOptions instance").
    name = resource_args_type.__name__
    resource = name[: -len("Args")] if name.endswith("Args") else name
    leftover = args[1:] if args and opts is not None and args[0] is opts else args
    given = kwargs.get("args")
    wrong = leftover[0] if leftover else given if "args" in kwargs and not isinstance(given, resource_args_type) else None
    if leftover or wrong is not None:
        raise TypeError(
            f"{resource}: its inputs are keyword arguments, such as {resource}(\"my-name\", an_input=value, ...), "
            f"or one {name}(...) after the name; a {type(wrong).__name__} was given where they go"
        )
    if opts is not None and not isinstance(opts, resource_options_type):
        raise TypeError(f"{resource}: opts must be a pulumi.ResourceOptions, not a {type(opts).__name__}")

    return resource_args, opts
`

// clearPythonArgumentErrors makes get_resource_args_opts refuse misplaced arguments with a message
// naming the resource (see pythonArgsOptsChecks).
func clearPythonArgumentErrors(files map[string][]byte) error {
	for name, content := range files {
		if path.Base(name) != "_utilities.py" {
			continue
		}
		text := string(content)
		if strings.Count(text, pythonArgsOptsEnd) != 1 {
			return fmt.Errorf("%s: expected the generator's get_resource_args_opts ending; revisit clearPythonArgumentErrors", name)
		}
		files[name] = []byte(strings.Replace(text, pythonArgsOptsEnd, pythonArgsOptsChecks, 1))
		return nil
	}
	return errors.New("the Python generator wrote no _utilities.py")
}

// The Node.js generator's default for a secret setting that the environment may give: the program's
// value is marked secret, the environment's is not, so an explicit Provider would record a key read
// from DOVEADM_API_KEY in the state in plain text (the Python and Go SDKs mark both).
var nodeSecretEnvDefault = regexp.MustCompile(`\(args\?\.(\w+) \? pulumi\.secret\(args\.(\w+)\) : undefined\) \?\? utilities\.getEnv\(("[A-Z_]+")\)`)

// secretEnvironmentDefaults marks the environment's value of a secret setting secret too, in the
// Node.js SDK's Provider.
func secretEnvironmentDefaults(files map[string][]byte) error {
	raw, ok := files["provider.ts"]
	if !ok {
		return errors.New("the Node.js generator wrote no provider.ts")
	}
	text := string(raw)
	if len(nodeSecretEnvDefault.FindAllString(text, -1)) == 0 {
		return errors.New("provider.ts: expected a secret setting's environment default; revisit secretEnvironmentDefaults")
	}
	text = nodeSecretEnvDefault.ReplaceAllString(text,
		"((value) => (value === undefined ? undefined : pulumi.secret(value)))(args?.$1 ?? utilities.getEnv($3))")
	files["provider.ts"] = []byte(text)
	return nil
}

// writeTree replaces the contents of dir with files (paths relative to dir, slash-separated).
func writeTree(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		rel := filepath.FromSlash(name)
		if filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return fmt.Errorf("generator returned a path outside the output folder: %q", name)
		}
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}
