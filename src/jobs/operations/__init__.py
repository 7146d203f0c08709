"""The operators' read model and actions over the queue, for the dashboard and the ops API.

`inspection`: the queue at a glance and its jobs, one page at a time; `job_detail`: one job's
whole story; `job_control`: stopping a job for sure, and queueing one by hand. It imports
`src.jobs.queue` only.
"""
