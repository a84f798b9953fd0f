from django.db import migrations

# The event log is evidence: no role, admin page or bug may rewrite history.
FORWARD = """
CREATE FUNCTION workorders_event_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER workorders_event_append_only
    BEFORE UPDATE OR DELETE ON workorders_event
    FOR EACH ROW EXECUTE FUNCTION workorders_event_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS workorders_event_append_only ON workorders_event;
DROP FUNCTION IF EXISTS workorders_event_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("workorders", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
