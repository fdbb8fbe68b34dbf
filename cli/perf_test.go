package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestProcessFigures measures the real binary the way PERFORMANCE.md measures the
// peer: the TUI in tmux at 120×40 against a local OpenAI-compatible server that
// streams a 208 KB markdown answer in 40-byte chunks every 2 ms. It reports launch
// to first frame, idle memory and CPU, CPU to stream, and peak memory. Timing
// belongs in a measurement, not a pass/fail test, so it only runs with WEND_PERF=1.
//
// With WEND_PERF_PEER=/path/to/crush it measures that binary too, in the same run,
// interleaved (wend, peer, wend, peer, …; WEND_PERF_RUNS pairs, default 5), and
// logs medians and the ratios wend/peer that issue 13 sets targets for. Both
// programs are judged by the same rules: first frame is the first screen showing
// their prompt, and the stream is over when the server has sent its last chunk and
// the process has used no CPU for a second.
func TestProcessFigures(t *testing.T) {
	if os.Getenv("WEND_PERF") == "" {
		t.Skip("set WEND_PERF=1 to measure the binary (takes about a minute a run)")
	}
	srv := newPerfServer(t, perfMarkdown(208<<10))
	programs := []perfProgram{wendPerfProgram(t, srv)}
	if peer := os.Getenv("WEND_PERF_PEER"); peer != "" {
		programs = append(programs, crushPerfProgram(t, peer, srv))
	}
	runs := 1
	if len(programs) > 1 {
		runs = 5
	}
	if n, err := strconv.Atoi(os.Getenv("WEND_PERF_RUNS")); err == nil && n > 0 {
		runs = n
	}
	figures := make([][]perfFigures, len(programs))
	for r := 0; r < runs; r++ {
		for i, prog := range programs {
			f := measureTUI(t, prog, srv)
			t.Logf("run %d %s: %s", r+1, prog.name, f)
			figures[i] = append(figures[i], f)
		}
	}
	med := make([]perfFigures, len(programs))
	for i := range programs {
		med[i] = medianFigures(figures[i])
		t.Logf("median %s: %s", programs[i].name, med[i])
	}
	if len(programs) > 1 {
		w, p := med[0], med[1]
		t.Logf("| figure | %s | wend | wend / %s | target |", programs[1].name, programs[1].name)
		t.Logf("| launch to first frame | %d ms | %d ms | %.2f | <= 0.5 |", p.firstFrame.Milliseconds(), w.firstFrame.Milliseconds(), ratio(w.firstFrame, p.firstFrame))
		t.Logf("| resident memory, idle | %.0f MiB | %.0f MiB | %.2f | <= 0.5 |", mib(p.idleRSS), mib(w.idleRSS), float64(w.idleRSS)/float64(p.idleRSS))
		t.Logf("| CPU while idle, 10 s | %.2f s | %.2f s | %.2f | <= 0.3 |", p.idleCPU.Seconds(), w.idleCPU.Seconds(), ratio(w.idleCPU, p.idleCPU))
		t.Logf("| CPU to stream the answer | %.2f s | %.2f s | %.2f | <= 0.25 |", p.streamCPU.Seconds(), w.streamCPU.Seconds(), ratio(w.streamCPU, p.streamCPU))
		t.Logf("| peak resident memory | %.0f MiB | %.0f MiB | %.2f | <= 0.5 |", mib(p.peakRSS), mib(w.peakRSS), float64(w.peakRSS)/float64(p.peakRSS))
	}
}

// perfProgram is one TUI under measurement: how to start it and what its ready
// screen shows.
type perfProgram struct {
	name  string
	dir   string // working directory (the project)
	env   []string
	argv  []string
	ready string // text on the first usable frame
}

type perfFigures struct {
	firstFrame, idleCPU, streamCPU time.Duration
	idleRSS, peakRSS               int // kB
}

func (f perfFigures) String() string {
	return fmt.Sprintf("first frame %d ms, idle %.1f MiB, idle CPU %.2f s, stream CPU %.2f s, peak %.1f MiB",
		f.firstFrame.Milliseconds(), mib(f.idleRSS), f.idleCPU.Seconds(), f.streamCPU.Seconds(), mib(f.peakRSS))
}

func mib(kb int) float64 { return float64(kb) / 1024 }

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// measureTUI runs one program once and reads its figures from /proc.
func measureTUI(t *testing.T, prog perfProgram, srv *perfServer) perfFigures {
	t.Helper()
	var f perfFigures
	start := time.Now()
	p := newPaneIn(t, prog.dir, 120, 40, prog.env, prog.argv...)
	defer exec.Command("tmux", "kill-session", "-t", p.name).Run()
	p.waitFor(prog.ready)
	f.firstFrame = time.Since(start)
	pid := panePID(t, p)
	time.Sleep(2 * time.Second)
	f.idleRSS = procStatus(t, pid, "VmRSS")
	cpu0 := procCPU(t, pid)
	time.Sleep(10 * time.Second)
	f.idleCPU = procCPU(t, pid) - cpu0
	done := srv.streams.Load()
	p.typeText("write the long answer")
	p.keys("Enter")
	cpu1 := procCPU(t, pid)
	deadline := time.Now().Add(3 * time.Minute)
	for srv.streams.Load() == done && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	// The server has sent everything; the program is done when it stops using CPU.
	last, still := procCPU(t, pid), 0
	for still < 5 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		now := procCPU(t, pid)
		if now == last {
			still++
		} else {
			still, last = 0, now
		}
	}
	f.streamCPU = last - cpu1
	f.peakRSS = procStatus(t, pid, "VmHWM")
	return f
}

func medianFigures(fs []perfFigures) perfFigures {
	med := func(get func(perfFigures) int64) int64 {
		xs := make([]int64, len(fs))
		for i, f := range fs {
			xs[i] = get(f)
		}
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	return perfFigures{
		firstFrame: time.Duration(med(func(f perfFigures) int64 { return int64(f.firstFrame) })),
		idleCPU:    time.Duration(med(func(f perfFigures) int64 { return int64(f.idleCPU) })),
		streamCPU:  time.Duration(med(func(f perfFigures) int64 { return int64(f.streamCPU) })),
		idleRSS:    int(med(func(f perfFigures) int64 { return int64(f.idleRSS) })),
		peakRSS:    int(med(func(f perfFigures) int64 { return int64(f.peakRSS) })),
	}
}

// perfServer is an OpenAI-compatible server that streams the long answer to a
// request offering tools (the agent's turn) and a short one to any other (a
// peer's title or summary request), so both programs do the same work.
type perfServer struct {
	url     string
	answer  string
	streams atomic.Int64 // long answers fully sent
}

func newPerfServer(t *testing.T, answer string) *perfServer {
	ps := &perfServer{answer: answer}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/chat/completions") {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"object":"list","data":[{"id":"m","object":"model","created":1,"owned_by":"perf"}]}`)
			return
		}
		var req struct {
			Tools []json.RawMessage `json:"tools"`
		}
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &req)
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		chunk := func(delta string, finish string) {
			c := map[string]any{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
				"choices": []map[string]any{{"index": 0, "delta": map[string]any{"role": "assistant", "content": delta}}}}
			if finish != "" {
				c["choices"] = []map[string]any{{"index": 0, "delta": map[string]any{}, "finish_reason": finish}}
			}
			b, _ := json.Marshal(c)
			fmt.Fprintf(w, "data: %s\n\n", b)
			fl.Flush()
		}
		if len(req.Tools) == 0 {
			chunk("Long answer", "")
			chunk("", "stop")
			fmt.Fprint(w, "data: [DONE]\n\n")
			return
		}
		for i := 0; i < len(ps.answer); i += 40 {
			chunk(ps.answer[i:min(i+40, len(ps.answer))], "")
			time.Sleep(2 * time.Millisecond)
		}
		chunk("", "stop")
		fmt.Fprint(w, "data: [DONE]\n\n")
		fl.Flush()
		ps.streams.Add(1)
	}))
	t.Cleanup(srv.Close)
	ps.url = srv.URL
	return ps
}

func wendPerfProgram(t *testing.T, srv *perfServer) perfProgram {
	home := t.TempDir()
	return perfProgram{
		name: "wend",
		env: []string{"HOME=" + home, "XDG_STATE_HOME=" + home, "XDG_CONFIG_HOME=" + home, "OPENAI_API_KEY=k",
			"TERM=xterm-256color", "WEND_CPUPROFILE=" + os.Getenv("WEND_CPUPROFILE")},
		argv:  []string{wendBinary(t), "-C", demoRepo(t), "--provider", "openai", "--base-url", srv.url + "/v1", "--model", "m"},
		ready: "Describe a task",
	}
}

// crushPerfProgram configures Crush (charmbracelet/crush, built from source by
// whoever runs the comparison) for the same server: one OpenAI-compatible
// provider with model m as both its large and small model, no provider updates,
// no metrics, a fresh home.
func crushPerfProgram(t *testing.T, bin string, srv *perfServer) perfProgram {
	home := t.TempDir()
	dir := demoRepo(t)
	cfg := map[string]any{
		"providers": map[string]any{"perf": map[string]any{
			"type": "openai-compat", "base_url": srv.url + "/v1", "api_key": "k",
			"models": []map[string]any{{"id": "m", "name": "m", "context_window": 200000, "default_max_tokens": 8000}},
		}},
		"models":  map[string]any{"large": map[string]any{"model": "m", "provider": "perf"}, "small": map[string]any{"model": "m", "provider": "perf"}},
		"options": map[string]any{"disable_provider_auto_update": true, "disable_metrics": true, "disable_default_providers": true},
	}
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "crush.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	// With a context file present Crush skips its "initialize this project?"
	// question and opens at its prompt, as wend does.
	if err := os.WriteFile(filepath.Join(dir, "AGENTS.md"), []byte("# Agents\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ready := os.Getenv("WEND_PERF_PEER_READY")
	if ready == "" {
		ready = "Ready"
	}
	return perfProgram{
		name: "crush",
		dir:  dir,
		env: []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_DATA_HOME=" + filepath.Join(home, ".local/share"),
			"TERM=xterm-256color", "CRUSH_DISABLE_PROVIDER_AUTO_UPDATE=1", "CRUSH_DISABLE_METRICS=1"},
		argv:  []string{bin},
		ready: ready,
	}
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
