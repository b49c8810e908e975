"""PostgreSQL only: the database refuses to rewrite what the models treat as immutable.

- quality assessments and usage records: no UPDATE or DELETE;
- appraisals: no UPDATE or DELETE of a final row (drafts may be revised or replaced).
"""

from django.db import migrations

FUNCTIONS = """
CREATE OR REPLACE FUNCTION valuation_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are immutable (% refused)', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION valuation_refuse_final_change() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'final' THEN
        RAISE EXCEPTION 'final appraisals are immutable (% refused)', TG_OP;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""
TRIGGERS = """
CREATE TRIGGER valuation_quality_immutable BEFORE UPDATE OR DELETE ON valuation_qualityassessment
FOR EACH ROW EXECUTE FUNCTION valuation_refuse_change();
CREATE TRIGGER valuation_usage_immutable BEFORE UPDATE OR DELETE ON valuation_usagerecord
FOR EACH ROW EXECUTE FUNCTION valuation_refuse_change();
CREATE TRIGGER valuation_final_appraisal_immutable BEFORE UPDATE OR DELETE ON valuation_appraisal
FOR EACH ROW EXECUTE FUNCTION valuation_refuse_final_change();
"""
DROP = """
DROP TRIGGER IF EXISTS valuation_quality_immutable ON valuation_qualityassessment;
DROP TRIGGER IF EXISTS valuation_usage_immutable ON valuation_usagerecord;
DROP TRIGGER IF EXISTS valuation_final_appraisal_immutable ON valuation_appraisal;
DROP FUNCTION IF EXISTS valuation_refuse_change();
DROP FUNCTION IF EXISTS valuation_refuse_final_change();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS, params=None)
        schema_editor.execute(TRIGGERS, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("valuation", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
