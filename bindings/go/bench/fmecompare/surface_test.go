package fmecompare

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The drop-in checks against the official FME Go SDK's source in shared/peers (go test -run 'TestSurface|TestReadme'
// in this module): every exported name of the official packages a program imports exists in
// libvwo's, except the internals bindings/go/README.md ("Not mirrored") lists; and the official
// README's example program builds against libvwo after nothing but replacing the import prefixes.

const peers = "../../../../../shared/peers"

var notMirrored = regexp.MustCompile(`^(WingifyBuilder(\..*)?|GatewayService(\..*)?|InitOptions(\..*)?|NewInitOptions|` +
	`NetworkOptions|RetryConfig(\..*)?|NewRetryConfig.*|GetInstance|Storage(\..*)?|Bold|Cyan|Green|LightBlue|Red|Reset|` +
	`White|Yellow|LogMessageBuilder(\..*)?|NewLogMessageBuilder|LogManagerDateTimeFormat.*|LogManagerDefault.*|` +
	`AttributeCheck|BatchEvents|ContentType.*|DebugProp.*|Debugger.*|EvaluatedRuleResult.*|Header.*|NetworkClient.*|` +
	`Network[A-Z].*|Url.*|URL.*|SDKInitPayload.*|.*Endpoint.*|Events|GetUserData|SettingsUrl|WebhookSettingsUrl|` +
	`BaseURL|EndpointAttributeCheck|FLAG_DECISION|IMPACT_ANALYSIS|MAX_CAMPAIGN_VALUE|MAX_TRAFFIC_VALUE|` +
	`NETWORK_CALL_.*|NetworkTimeout|NonRetryableEvents|POLLING|SettingsExpiry|WebUUIDRegex|HTTP.*|IP|UserAgent)$`)

func exported(t *testing.T, dir string) map[string]bool {
	fs := token.NewFileSet()
	pkgs, err := parser.ParseDir(fs, dir, func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				switch x := d.(type) {
				case *ast.FuncDecl:
					if !x.Name.IsExported() {
						continue
					}
					name := x.Name.Name
					if x.Recv != nil {
						rt := x.Recv.List[0].Type
						if s, ok := rt.(*ast.StarExpr); ok {
							rt = s.X
						}
						id, ok := rt.(*ast.Ident)
						if !ok || !id.IsExported() {
							continue
						}
						name = id.Name + "." + name
					}
					out[name] = true
				case *ast.GenDecl:
					for _, s := range x.Specs {
						switch y := s.(type) {
						case *ast.TypeSpec:
							if y.Name.IsExported() {
								out[y.Name.Name] = true
							}
						case *ast.ValueSpec:
							for _, n := range y.Names {
								if n.IsExported() {
									out[n.Name] = true
								}
							}
						}
					}
				}
			}
		}
	}
	return out
}

func TestSurface(t *testing.T) {
	if _, err := os.Stat(peers); err != nil {
		t.Skip("shared/peers is not there")
	}
	pairs := [][2]string{{"vwo-fme-go-sdk", "../../fme"}}
	for _, d := range []string{"", "pkg/models", "pkg/enums", "pkg/constants", "pkg/packages/storage",
		"pkg/packages/logger", "pkg/packages/logger/enums"} {
		pairs = append(pairs, [2]string{filepath.Join("wingify-fme-go-sdk", d), filepath.Join("../../fme/wingify", d)})
	}
	for _, p := range pairs {
		official, ours := exported(t, filepath.Join(peers, p[0])), exported(t, p[1])
		var missing []string
		for n := range official {
			if !ours[n] && !notMirrored.MatchString(n) {
				missing = append(missing, n)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s: not in %s: %s", p[0], p[1], strings.Join(missing, " "))
		}
	}
}

func TestReadmeProgramBuilds(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(peers, "vwo-fme-go-sdk", "README.md"))
	if err != nil {
		t.Skip("shared/peers is not there")
	}
	m := regexp.MustCompile("(?s)```go\n(package main\n.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("no example program in vwo-fme-go-sdk's README")
	}
	prog := strings.ReplaceAll(string(m[1]), "github.com/wingify/vwo-fme-go-sdk", "github.com/libvwo/libvwo/bindings/go/fme")
	prog = strings.ReplaceAll(prog, "github.com/wingify/wingify-fme-go-sdk", "github.com/libvwo/libvwo/bindings/go/fme/wingify")
	binding, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gomod := "module readme\n\ngo 1.22\n\nrequire github.com/libvwo/libvwo/bindings/go v0.0.0\n\n" +
		"replace github.com/libvwo/libvwo/bindings/go => " + binding + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "readme"), ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the official README's program does not build against libvwo: %v\n%s\n%s", err, out, prog)
	}
}
