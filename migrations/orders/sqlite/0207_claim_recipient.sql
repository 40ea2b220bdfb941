-- An inbound interchange's claim names its recipient as well as its sender
-- and control reference: a sender may number its interchanges per partner
-- (Renkei does), so the same reference to two partners is two interchanges,
-- not a resubmission.
UPDATE edi_interchange
   SET claim = 'in:' || sender || ':' || recipient || ':' || reference
 WHERE claim LIKE 'in:%';
