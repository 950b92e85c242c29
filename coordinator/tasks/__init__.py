"""An inspector's own work list (我的检查任务): its teams, visits, records to fill and what each still owes."""
