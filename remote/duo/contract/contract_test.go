package contract

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The plugin versions gen.sh is pinned to; the generated headers record them.
const (
	wantProtocGenGo     = "protoc-gen-go v1.36.12"
	wantProtocGenGoGRPC = "protoc-gen-go-grpc 1.6.2"
)

// protocLine is the one header line that depends on the installed protoc rather
// than on contract.proto or the plugins.
var protocLine = regexp.MustCompile(`(?m)^// (\t|- )protoc +v[0-9.]+\n`)

func lookTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skipf("%s not installed: cannot check that the generated code is fresh (install: apt-get install -y protobuf-compiler; "+
		"go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12 google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2)", name)
	return ""
}

func toolVersion(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command(path, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --version: %v: %s", path, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestGeneratedCodeIsFresh regenerates the Go code into a temporary directory and
// fails when the checked-in files differ: edit contract.proto, then run
// `go generate ./remote/duo/contract`.
func TestGeneratedCodeIsFresh(t *testing.T) {
	lookTool(t, "protoc")
	gen := lookTool(t, "protoc-gen-go")
	genGRPC := lookTool(t, "protoc-gen-go-grpc")
	if v := toolVersion(t, gen); v != wantProtocGenGo {
		t.Skipf("protoc-gen-go is %q, want %q: its output would differ for reasons other than staleness", v, wantProtocGenGo)
	}
	if v := toolVersion(t, genGRPC); v != wantProtocGenGoGRPC {
		t.Skipf("protoc-gen-go-grpc is %q, want %q: its output would differ for reasons other than staleness", v, wantProtocGenGoGRPC)
	}

	// Read the proto here so that `go test` caching notices when it changes (protoc
	// reading it in a subprocess does not count).
	if _, err := os.ReadFile("contract.proto"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command("sh", "gen.sh", dir)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(gen)+string(os.PathListSeparator)+filepath.Dir(genGRPC)+string(os.PathListSeparator)+os.Getenv("PATH"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen.sh: %v\n%s", err, out)
	}
	for _, name := range []string{"contract.pb.go", "contract_grpc.pb.go"} {
		fresh, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		have, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(protocLine.ReplaceAll(have, nil), protocLine.ReplaceAll(fresh, nil)) {
			t.Errorf("%s is stale: contract.proto changed without regenerating; run `go generate ./remote/duo/contract`", name)
		}
	}
}
