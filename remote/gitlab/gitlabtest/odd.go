package gitlabtest

import "fmt"

// OddFields returns raw answers (for Fixtures.Raw) shaped like the examples
// in GitLab's API documentation (docs.gitlab.com/api/issues, /api/notes,
// /api/pipelines, /api/jobs), each with fields in the shapes GitLab sends in
// practice but a strict client does not expect:
//
//   - issue OddIssueIID: "iid" as text; "labels" as objects (what
//     with_labels_details=true sends); "assignees" as one object; "author"
//     null; "created_at" as "2023-07-05 16:38:53 UTC" (as design notes send
//     it); "time_stats" as text; a "due_date" that is not a date; an
//     "epic" object the type does not know;
//   - its notes: a null entry, a note whose author is null, a note whose
//     created_at is in the UTC-suffix layout;
//   - pipeline OddPipelineID: a status no release has had yet ("canceling"
//     was new in 16.x), "duration" as text, "user" as a list; its job list
//     with "duration" null and a job whose "stage" is a number.
func OddFields() map[string]string {
	web := "https://gitlab.example.com/" + Project
	issue := fmt.Sprintf(`{
  "id": 1015, "iid": "%d", "project_id": %d,
  "title": "Login page shows a blank screen on Safari",
  "description": "Steps: open /login on Safari 17.",
  "state": "opened",
  "created_at": "2023-07-05 16:38:53 UTC",
  "updated_at": "2026-11-02T09:30:00.000Z",
  "closed_at": null, "closed_by": null,
  "labels": [{"id": 1, "name": "bug", "color": "#d9534f", "description": null, "text_color": "#FFFFFF"},
             {"id": 4, "name": "browser::safari", "color": "#428bca", "description": "Safari only", "text_color": "#FFFFFF"}],
  "milestone": null,
  "assignees": {"id": 7, "username": "alice", "name": "Alice", "state": "active"},
  "author": null,
  "type": "ISSUE", "issue_type": "issue",
  "user_notes_count": 3, "merge_requests_count": 0, "upvotes": 0, "downvotes": 0,
  "due_date": "next sprint",
  "confidential": false, "discussion_locked": null,
  "web_url": "%s/-/issues/%d",
  "time_stats": "none",
  "task_completion_status": {"count": 0, "completed_count": 0},
  "epic": {"id": 30, "iid": 5, "title": "Configuration overhaul", "url": "/groups/group/-/epics/5", "group_id": 11},
  "references": {"short": "#%d", "relative": "#%d", "full": "%s#%d"},
  "severity": "UNKNOWN"
}`, OddIssueIID, ProjectID, web, OddIssueIID, OddIssueIID, OddIssueIID, Project, OddIssueIID)
	notes := fmt.Sprintf(`[
  {"id": 7001, "body": "Reproduced on Safari 17.1.", "attachment": null,
   "author": {"id": 8, "username": "bob", "name": "Bob", "state": "active"},
   "created_at": "2026-11-03 10:00:00 UTC", "updated_at": "2026-11-03T10:00:00Z",
   "system": false, "noteable_id": 1015, "noteable_type": "Issue", "noteable_iid": %d, "resolvable": false, "confidential": false, "internal": false},
  null,
  {"id": 7002, "body": "A note whose author was deleted.", "author": null,
   "created_at": "2026-11-02T12:00:00Z", "system": false, "noteable_type": "Issue", "noteable_iid": %d}
]`, OddIssueIID, OddIssueIID)
	pipeline := fmt.Sprintf(`{
  "id": %d, "iid": 90, "project_id": %d, "status": "canceling", "source": "push", "ref": "main",
  "sha": "959e04d7c7a30600c894bd3c0cd0e1ce7f42c11d", "before_sha": "0000000000000000000000000000000000000000",
  "tag": false, "yaml_errors": null,
  "user": [{"id": 7, "username": "alice"}],
  "created_at": "2026-11-02T09:30:00.000Z", "updated_at": "2026-11-02T09:40:00.000Z",
  "started_at": "2026-11-02T09:31:00.000Z", "finished_at": null, "committed_at": null,
  "duration": "420", "queued_duration": 0.01, "coverage": "30.0",
  "web_url": "%s/-/pipelines/%d",
  "detailed_status": {"icon": "status_canceled", "text": "canceling", "label": "canceling", "group": "canceling", "has_details": false}
}`, OddPipelineID, ProjectID, web, OddPipelineID)
	jobs := fmt.Sprintf(`[
  {"id": 6001, "name": "build", "stage": "build", "status": "success", "ref": "main", "allow_failure": false,
   "duration": null, "queued_duration": 0.5, "web_url": "%s/-/jobs/6001", "pipeline": {"id": %d, "project_id": %d, "status": "canceling"}},
  {"id": 6002, "name": "test", "stage": 2, "status": "canceling", "ref": "main", "allow_failure": false,
   "duration": 12.5, "web_url": "%s/-/jobs/6002", "pipeline": {"id": %d, "project_id": %d, "status": "canceling"}}
]`, web, OddPipelineID, ProjectID, web, OddPipelineID, ProjectID)
	return map[string]string{
		fmt.Sprintf("issues/%d", OddIssueIID):                        issue,
		fmt.Sprintf("issues/%d/notes", OddIssueIID):                  notes,
		fmt.Sprintf("issues/%d/related_merge_requests", OddIssueIID): `[]`,
		fmt.Sprintf("pipelines/%d", OddPipelineID):                   pipeline,
		fmt.Sprintf("pipelines/%d/jobs", OddPipelineID):              jobs,
	}
}
