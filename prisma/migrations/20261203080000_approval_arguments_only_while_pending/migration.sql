-- The full arguments of an approval exist for the person deciding it; once it is decided, expired or
-- consumed nobody needs them, and keeping them would leak what the audit log keeps redacted.
-- A trigger, so every writer (dashboard, gateway replicas) clears them the same way.
CREATE OR REPLACE FUNCTION portcullis_clear_decided_approval_arguments() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF NEW.status <> 'pending' THEN
    NEW.arguments := NULL;
  END IF;
  RETURN NEW;
END
$fn$;

CREATE TRIGGER approvals_clear_decided_arguments
BEFORE INSERT OR UPDATE OF status, arguments ON approvals
FOR EACH ROW EXECUTE FUNCTION portcullis_clear_decided_approval_arguments();

UPDATE approvals SET arguments = NULL WHERE status <> 'pending' AND arguments IS NOT NULL;
UPDATE approvals SET status = 'expired', note = COALESCE(note, 'timed out') WHERE status = 'pending' AND "expiresAt" <= now();
