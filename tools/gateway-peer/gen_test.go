package main

// gen/ is what generate.sh writes today: the stubs follow examples/greeter's proto, and the
// plugin versions pinned in go.mod.

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func files(t *testing.T, root string) map[string][]byte {
	t.Helper()
	found := map[string][]byte{}
	err := filepath.WalkDir(root, func(path string, entry fs.DirEntry, err error) error {
		if err != nil || entry.IsDir() {
			return err
		}
		relative, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		found[relative], err = os.ReadFile(path)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func TestGeneratedStubsAreFresh(t *testing.T) {
	fresh := filepath.Join(t.TempDir(), "gen")
	out, err := exec.Command("./generate.sh", fresh).CombinedOutput()
	if err != nil {
		t.Fatalf("generate.sh: %v\n%s", err, out)
	}
	want, have := files(t, fresh), files(t, "gen")
	for path, text := range want {
		if old, ok := have[path]; !ok {
			t.Errorf("gen/%s is missing: run go generate in tools/gateway-peer", path)
		} else if !bytes.Equal(old, text) {
			t.Errorf("gen/%s is stale: run go generate in tools/gateway-peer", path)
		}
	}
	for path := range have {
		if _, ok := want[path]; !ok {
			t.Errorf("gen/%s is no longer generated: run go generate in tools/gateway-peer", path)
		}
	}
}
