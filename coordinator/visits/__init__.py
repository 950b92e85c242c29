"""The visit date of each joint inspection: agreed, or moved inside the window, by the lead department."""
