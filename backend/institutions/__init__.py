"""Financial institutions admitted to the platform: banks, guarantors, insurers, agencies."""
