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
// path: importBasePath without its last element). The Python SDK reads its version from its installed
// metadata, so it must be pip-installed before import; the Node.js SDK is built with its own
// tsconfig.json (outDir bin) and package.json copied into bin. See testdata/toy-schema.json.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
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
			return python.GeneratePackage(tool, p, nil, noDependencies{})
		}},
		{"go", goOut, func(p *schema.Package) (map[string][]byte, error) {
			files, err := gogen.GeneratePackage(tool, p, nil)
			if err == nil && goSDK != "" {
				err = requirePulumiSDK(files, goSDK)
			}
			return files, err
		}},
		{"nodejs", nodeOut, func(p *schema.Package) (map[string][]byte, error) {
			return nodejs.GeneratePackage(tool, p, nil, nil, false, noDependencies{})
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
