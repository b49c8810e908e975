"""Journal event types of valuation: quality assessments, usage, appraisals, batch revaluation.

Stable strings: API clients, reports and the journal's readers rely on them."""

QUALITY_ASSESSED = "quality.assessed"
USAGE_RECORDED = "usage.recorded"
APPRAISAL_DRAFTED = "appraisal.drafted"
APPRAISAL_REVISED = "appraisal.revised"
APPRAISAL_FINALISED = "appraisal.finalised"
BATCH_REVALUED = "appraisal.batch_revalued"
