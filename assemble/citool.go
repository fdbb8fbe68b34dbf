package assemble

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"runtime"
	"strings"

	"gitlab.com/wend/wend/context/ciconfig"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/tools"
)

// The ci_job_script tool: a CI job's script from .gitlab-ci.yml, resolved for
// a local run (context/ciconfig), as a command the model runs with
// run_command, so reproducing a failed job goes through the same approval
// policy and sandbox as any command. When gitlab-ci-local is installed, its
// command is offered too: it resolves more of GitLab's CI syntax than
// ciconfig does; ciconfig needs neither Node nor Docker.

const ciToolName = "ci_job_script"

func registerCITool(reg *tools.Registry, root, branch string) error {
	return reg.Register(tools.Spec{Name: ciToolName, Effect: session.EffectRead,
		Description: "Resolve a CI job from this repository's .gitlab-ci.yml (include: local, default, extends, !reference, " +
			"before_script, variables, rules) into a shell command that runs its script on this machine, and say where the job's " +
			"image differs from this machine. Run the command with run_command to reproduce a failed job. Without job: the job names.",
		Schema: json.RawMessage(`{"type":"object","properties":{"job":{"type":"string","description":"the job's name, as in the pipeline"}},"additionalProperties":false}`),
	}, func(ctx context.Context, args json.RawMessage) tools.Result {
		var a struct {
			Job string `json:"job"`
		}
		if err := json.Unmarshal(args, &a); err != nil {
			return tools.Result{IsError: true, Output: "arguments: " + err.Error(), Summary: ciToolName + ": bad arguments"}
		}
		out, summary, err := LocalJobScript(root, branch, a.Job)
		if err != nil {
			return tools.Result{IsError: true, Output: err.Error(), Summary: ciToolName + ": " + firstLine(err.Error())}
		}
		return tools.Result{Output: out, Summary: summary}
	})
}

// LocalJobScript is what ci_job_script answers for job name: what running it
// locally takes, resolved from the .gitlab-ci.yml at root on branch.
func LocalJobScript(root, branch, name string) (output, summary string, err error) {
	cfg, err := ciconfig.Load(root)
	if err != nil {
		return "", "", err
	}
	if name == "" {
		jobs := cfg.Jobs()
		return "Jobs in .gitlab-ci.yml: " + strings.Join(jobs, ", "), fmt.Sprintf("%d jobs", len(jobs)), nil
	}
	env := map[string]string{"CI": "true", "CI_COMMIT_BRANCH": branch, "CI_COMMIT_REF_NAME": branch,
		"CI_PIPELINE_SOURCE": "push", "CI_JOB_NAME": name}
	job, err := cfg.Job(name, env)
	if err != nil {
		return "", "", err
	}
	// The predefined variables a script most often reads; the job's own come after and win.
	job.Variables = append([][2]string{{"CI", "true"}, {"CI_JOB_NAME", name}, {"CI_JOB_STAGE", job.Stage},
		{"CI_COMMIT_REF_NAME", branch}, {"CI_COMMIT_BRANCH", branch}, {"CI_PROJECT_DIR", "$PWD"}}, job.Variables...)
	var b strings.Builder
	fmt.Fprintf(&b, "# CI job %s (stage %s)\n\n", job.Name, job.Stage)
	b.WriteString(imageNote(job.Image) + "\n\n")
	if why := job.Runs(); why != "" {
		fmt.Fprintf(&b, "Its rules would not run it here: %s. The script below is still what it runs on the runner.\n\n", why)
	}
	if len(job.Rules) > 0 {
		b.WriteString("Rules, judged with this checkout's values:\n")
		for _, r := range job.Rules {
			cond := r.If
			if cond == "" {
				cond = "(always)"
			}
			fmt.Fprintf(&b, "- if %s → when %s: %s\n", cond, r.When, r.Matched)
		}
		b.WriteString("\n")
	}
	for _, n := range job.Notes {
		fmt.Fprintf(&b, "Note: %s.\n", n)
	}
	fmt.Fprintf(&b, "\nTo reproduce it, run this with run_command (it stops at the first failing line, as a runner does):\n\n```sh\n%s```\n", job.Command())
	if p, err := exec.LookPath("gitlab-ci-local"); err == nil {
		fmt.Fprintf(&b, "\ngitlab-ci-local is installed (%s) and resolves more of GitLab's syntax; on this machine, without the image:\n\n"+
			"```sh\ngitlab-ci-local --force-shell-executor --no-color --state-dir \"$TMPDIR/gitlab-ci-local\" %s\n```\n", p, shellWord(name))
	}
	return b.String(), fmt.Sprintf("job %s: %d script lines", name, len(job.Script)), nil
}

// imageTools maps an image's base name to the command that stands for it on
// this machine.
var imageTools = map[string]string{"golang": "go", "node": "node", "python": "python3", "ruby": "ruby", "rust": "cargo",
	"openjdk": "java", "eclipse-temurin": "java", "maven": "mvn", "gradle": "gradle", "php": "php", "perl": "perl"}

// imageNote says how the job's image differs from this machine.
func imageNote(image string) string {
	here := fmt.Sprintf("this machine (%s/%s)", runtime.GOOS, runtime.GOARCH)
	if image == "" {
		return "The job names no image: the runner's default image or shell runs it; here it runs on " + here + "."
	}
	base := image
	if i := strings.LastIndex(base, "/"); i >= 0 {
		base = base[i+1:]
	}
	tag := "latest"
	if n, t, ok := strings.Cut(base, ":"); ok {
		base, tag = n, t
	}
	note := fmt.Sprintf("The job runs in the image %s on the runner; here it runs on %s, outside any container", image, here)
	tool, ok := imageTools[base]
	if !ok {
		return note + ": tools and versions may differ from the image's."
	}
	if p, err := exec.LookPath(tool); err == nil {
		return fmt.Sprintf("%s: `%s` here is %s; compare its version with the image's tag (%s).", note, tool, p, tag)
	}
	return fmt.Sprintf("%s: `%s` is not installed here, so the job cannot run as it does on the runner.", note, tool)
}

// shellWord quotes s for a POSIX shell.
func shellWord(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
