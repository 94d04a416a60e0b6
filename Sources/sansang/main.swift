print("sansang")
