print("sansang-collector")
