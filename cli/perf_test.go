package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestProcessFigures measures the real binary the way PERFORMANCE.md measures the
// peer: wend in tmux at 120×40 against a local OpenAI-compatible server that streams
// a 208 KB markdown answer in 40-byte chunks every 2 ms. It reports launch to first
// frame, idle memory and CPU, CPU to stream, and peak memory. Timing belongs in a
// measurement, not a pass/fail test, so it only runs with WEND_PERF=1.
func TestProcessFigures(t *testing.T) {
	if os.Getenv("WEND_PERF") == "" {
		t.Skip("set WEND_PERF=1 to measure the binary (takes about a minute)")
	}
	bin := wendBinary(t)
	answer := perfMarkdown(208 << 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		chunk := func(delta string, finish string) {
			c := map[string]any{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
				"choices": []map[string]any{{"index": 0, "delta": map[string]any{"content": delta}}}}
			if finish != "" {
				c["choices"] = []map[string]any{{"index": 0, "delta": map[string]any{}, "finish_reason": finish}}
			}
			b, _ := json.Marshal(c)
			fmt.Fprintf(w, "data: %s\n\n", b)
			fl.Flush()
		}
		for i := 0; i < len(answer); i += 40 {
			chunk(answer[i:min(i+40, len(answer))], "")
			time.Sleep(2 * time.Millisecond)
		}
		chunk("", "stop")
		fmt.Fprint(w, "data: [DONE]\n\n")
		fl.Flush()
	}))
	defer srv.Close()
	dir := demoRepo(t)
	home := t.TempDir()
	start := time.Now()
	p := newPane(t, 120, 40, []string{"HOME=" + home, "XDG_STATE_HOME=" + home, "XDG_CONFIG_HOME=" + home, "OPENAI_API_KEY=k", "TERM=xterm-256color", "WEND_CPUPROFILE=" + os.Getenv("WEND_CPUPROFILE")},
		bin, "-C", dir, "--provider", "openai", "--base-url", srv.URL+"/v1", "--model", "m")
	p.waitFor("Describe a task")
	firstFrame := time.Since(start)
	pid := panePID(t, p)
	time.Sleep(2 * time.Second)
	idleRSS := procStatus(t, pid, "VmRSS")
	cpu0 := procCPU(t, pid)
	time.Sleep(10 * time.Second)
	idleCPU := procCPU(t, pid) - cpu0
	p.typeText("write the long answer")
	p.keys("Enter")
	cpu1 := procCPU(t, pid)
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(p.screen(), "finished") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	streamCPU := procCPU(t, pid) - cpu1
	peak := procStatus(t, pid, "VmHWM")
	p.keys("C-c")
	p.keys("C-c")
	time.Sleep(time.Second) // let a requested CPU profile be written
	t.Logf("launch to first frame (tmux poll, upper bound): %s", firstFrame.Round(time.Millisecond))
	t.Logf("resident memory idle: %.1f MiB", float64(idleRSS)/1024)
	t.Logf("CPU while idle, 10 s: %s", idleCPU)
	t.Logf("CPU to stream %d KB: %s", len(answer)>>10, streamCPU)
	t.Logf("peak resident memory: %.1f MiB", float64(peak)/1024)
}

func panePID(t *testing.T, p *pane) int {
	out, err := exec.Command("tmux", "display-message", "-p", "-t", p.name, "#{pane_pid}").Output()
	if err != nil {
		t.Fatal(err)
	}
	shell, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	// The pane runs `env ... wend`, and env execs wend: same pid.
	return shell
}

// procCPU is utime+stime of a process.
func procCPU(t *testing.T, pid int) time.Duration {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// procStatus reads a kB field of /proc/<pid>/status.
func procStatus(t *testing.T, pid int, field string) int {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, field+":") {
			n, _ := strconv.Atoi(strings.Fields(line)[1])
			return n
		}
	}
	return 0
}

// perfMarkdown builds a markdown document of about n bytes with headings,
// paragraphs, lists, tables and fenced Go, Python and TypeScript blocks.
func perfMarkdown(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "## Section %d\n\nThis paragraph explains part %d of the change in some detail, with `inline code`, **bold** and _emphasis_ so the renderer has real work to do on every line of it.\n\n", i, i)
		fmt.Fprintf(&b, "- first point about %d\n- second point\n  - nested detail\n\n| name | value | note |\n|---|---:|---|\n| a%d | %d | fine |\n| b%d | %d | also fine |\n\n", i, i, i, i, i*2)
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "```go\nfunc f%d(x int) int {\n\tif x > %d {\n\t\treturn x * 2\n\t}\n\treturn x\n}\n```\n\n", i, i)
		case 1:
			fmt.Fprintf(&b, "```python\ndef f%d(x):\n    return [y * %d for y in range(x)]\n```\n\n", i, i)
		default:
			fmt.Fprintf(&b, "```typescript\nexport function f%d(x: number): number {\n  return x + %d;\n}\n```\n\n", i, i)
		}
	}
	return b.String()
}
