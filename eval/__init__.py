"""Release evaluation: test sets, ragas metrics, reports and the release gate."""
