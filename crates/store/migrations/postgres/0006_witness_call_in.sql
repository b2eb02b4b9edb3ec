-- A witness (证人) enters the hearing room only when the court calls them in (传唤入庭),
-- and leaves again after testifying (退庭). No new column: a participant's admission,
-- `checked_in_at`, is that fact — for a witness, being admitted is being called in —
-- and sending a witness out (or removing anyone, 移出庭审) sets it back to NULL.
--
-- Before this, the clerk's 准许入庭 could admit a witness into a room where they got no
-- media. Such an admission is not a call-in: in hearings still under way, the witnesses
-- wait outside again until the court calls them. (Finished hearings keep their record;
-- the audit log keeps every admission either way.)

UPDATE participants
SET checked_in_at = NULL
WHERE role = 'witness'
  AND checked_in_at IS NOT NULL
  AND hearing_id IN (
      SELECT id FROM hearings WHERE state IN ('scheduled', 'open', 'in_session', 'recess')
  );
